"""Virtual devices: real drivers of the device Protocols fed by files and scripts.

Used by the tests and the demo; production start-up refuses them (see
``devices.factory``). Nothing here starts a thread or a process at import time.
"""
