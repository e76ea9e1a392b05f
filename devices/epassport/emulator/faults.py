"""Switchable faults of the virtual chip. Change them at any time between APDUs."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class ChipFaults:
    # Corrupt the MAC of this many protected READ BINARY answers (-1: all of them), after
    # letting ``wrong_mac_after`` protected reads through intact.
    wrong_mac: int = 0
    wrong_mac_after: int = 0
    # Sleep this long before answering; only ``slow_count`` APDUs (-1: all), after
    # ``slow_after`` quick ones.
    slow_s: float = 0.0
    slow_count: int = -1
    slow_after: int = 0
    # The card leaves the field once this many bytes of LDS files were served (mid-read).
    remove_after_bytes: int | None = None
    # Serve this data group with one byte changed: its hash no longer matches EF.SOD.
    tamper_dg: int | None = None
    # Serve this data group with a header announcing 16 MiB.
    oversize_dg: int | None = None
    # A clone: Active Authentication signs with another key; Chip Authentication uses
    # another static key (the data groups are copied, the private keys are not).
    aa_clone: bool = False
    ca_clone: bool = False
