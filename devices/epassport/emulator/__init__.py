"""A virtual ICAO 9303 ePassport chip (a :class:`devices.base.CardApplet`) and its issuer.

Development and test use only: the demo and the tests read it through a virtual reader
(the in-process loopback reader, or pcscd + vpcd). Production start-up refuses virtual
devices. See docs/epassport-chip.md.
"""
