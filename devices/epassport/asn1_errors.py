"""The one place that says what asn1crypto raises on malformed input, and its translation.

asn1crypto reports bytes that do not match the ASN.1 it expects with a handful of
built-in exceptions (AttributeError too: found by fuzzing, e.g. ``.native`` of a
mis-tagged choice; RecursionError on deep nesting). Every parser of the ePassport
code catches exactly these and raises :class:`~models.errors.MalformedDataError`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from models.errors import MalformedDataError

ASN1_ERRORS = (
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    OverflowError,
    RecursionError,
    AttributeError,
)


@contextmanager
def asn1_guard(what: str) -> Iterator[None]:
    """Turn asn1crypto's parse errors into MalformedDataError naming ``what``."""
    try:
        yield
    except ASN1_ERRORS as exc:
        raise MalformedDataError(f"{what} does not parse") from exc
