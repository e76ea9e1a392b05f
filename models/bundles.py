"""Records that travel between kiosk and central server as one unit.

A watchlist entry or an enrollment is only usable together with its biometric
templates, so the sync feed (down) and the outbox (up) carry them bundled: the
record plus the templates its ``*_template_ids`` name. A trust anchor is a CSCA
certificate, master list or CRL, carried as opaque bytes for the ePassport layer.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.biometric import FaceTemplate, FingerprintTemplate
from models.enrollment import Enrollment
from models.identity import Traveller
from models.watchlist import WatchlistEntry


@dataclass(frozen=True, slots=True)
class WatchlistBundle:
    """A watchlist entry with its templates (feed kind ``watchlist``)."""

    entry: WatchlistEntry
    face_templates: tuple[FaceTemplate, ...] = ()
    fingerprint_templates: tuple[FingerprintTemplate, ...] = ()


@dataclass(frozen=True, slots=True)
class EnrollmentBundle:
    """An enrollment with its traveller and templates.

    Outbox kind ``enrollment`` (up, from the enrolling kiosk) and feed kind
    ``traveller`` (down, to the kiosks of the same office).
    """

    enrollment: Enrollment
    traveller: Traveller
    face_templates: tuple[FaceTemplate, ...] = ()
    fingerprint_templates: tuple[FingerprintTemplate, ...] = ()


@dataclass(frozen=True, slots=True)
class TrustAnchor:
    """A CSCA trust-store item (feed kind ``trust_anchor``), opaque to sync.

    ``format`` names the encoding, e.g. ``"csca-der"``, ``"masterlist-cms"``,
    ``"crl-der"``; the ePassport layer parses ``data``.
    """

    anchor_id: str
    format: str
    data: bytes
    issuing_state: str | None = None
