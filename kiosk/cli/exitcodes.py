"""Exit codes of the ``gerbang`` command (documented in the README and in ``gerbang --help``)."""

from __future__ import annotations

from enum import IntEnum

from models.errors import (
    ConfigError,
    DeviceError,
    DocumentError,
    GerbangError,
    NotAvailableError,
    SecurityError,
    StoreError,
)


class ExitCode(IntEnum):
    OK = 0  # done; for checks: everything passed
    ERROR = 1  # an unexpected failure (a bug: please report it with the log file)
    USAGE = 2  # bad command line
    CONFIG = 3  # settings invalid or unreadable
    NOT_AVAILABLE = 4  # the command exists but its feature is not built yet
    CHECK_FAILED = (
        5  # the command ran and its check came out negative (invalid document, broken audit chain)
    )
    DEVICE = 6  # a device failed or is absent
    DATA = 7  # the store, a key or an input file is unreadable or damaged
    SECURITY = 8  # authentication, authorisation or integrity refused


def exit_code_for(error: GerbangError) -> ExitCode:
    if isinstance(error, ConfigError):
        return ExitCode.CONFIG
    if isinstance(error, NotAvailableError):
        return ExitCode.NOT_AVAILABLE
    if isinstance(error, DeviceError):
        return ExitCode.DEVICE
    if isinstance(error, SecurityError):
        return ExitCode.SECURITY
    if isinstance(error, StoreError | DocumentError):
        return ExitCode.DATA
    return ExitCode.DATA if error.code.startswith("keystore") else ExitCode.ERROR


EPILOG = (
    "Exit codes: "
    + ", ".join(f"{c.value} {c.name.lower().replace('_', ' ')}" for c in ExitCode)
    + "."
)
