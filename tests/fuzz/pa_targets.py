"""Fuzz targets for the MRZ and ePassport parsers and Passive Authentication.

Each target takes arbitrary bytes and may raise only
:class:`~models.errors.DocumentError` (malformed input, unsupported
algorithm); anything else is a bug. The unit tests drive them with
hypothesis; for long runs use atheris (optional, not a dependency)::

    pip install atheris
    python -m tests.fuzz.pa_targets sod [corpus_dir ...] [-max_total_time=600]
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from datetime import UTC, datetime

from devices.epassport import tlv
from devices.epassport.dg_personal import parse_dg11, parse_dg12
from devices.epassport.faceimage import parse_dg2
from devices.epassport.lds import parse_dg1, parse_dg7, parse_ef_com
from devices.epassport.masterlist import MasterListError, parse_master_list
from devices.epassport.passive_auth import verify_passive
from devices.epassport.sod import parse_sod
from devices.epassport.trust import TrustStore
from devices.mrz.parser import parse_mrz
from models.errors import DocumentError

AT = datetime(2026, 1, 1, tzinfo=UTC)


def fuzz_tlv(data: bytes) -> None:
    for item in tlv.iter_tlv(data, allow_indefinite=True):
        if item.constructed:
            item.children(allow_indefinite=True)


def fuzz_sod(data: bytes) -> None:
    parse_sod(data)


def fuzz_passive(data: bytes) -> None:
    result = verify_passive(data, {1: data[:96]}, TrustStore(), AT)
    if result.valid:  # nothing can be valid against an empty trust store
        raise AssertionError("fuzzed SOD passed Passive Authentication")
    result.to_json()


def fuzz_master_list(data: bytes) -> None:
    with contextlib.suppress(MasterListError):  # a refused list is a correct outcome
        parse_master_list(data)


def fuzz_dg2(data: bytes) -> None:
    for face in parse_dg2(data):
        face.decode()


def fuzz_lds(data: bytes) -> None:
    for parser in (parse_ef_com, parse_dg1, parse_dg7, parse_dg11, parse_dg12):
        try:
            parser(data)
        except DocumentError:
            continue


def fuzz_mrz(data: bytes) -> None:
    """MRZ text as a scanner or a typist could give it (any bytes, read as Latin-1)."""
    reading = parse_mrz(data.decode("latin-1"), reference_date=AT.date())
    reading.document  # noqa: B018 - the parsed fields must be reachable without error


TARGETS: dict[str, Callable[[bytes], None]] = {
    "mrz": fuzz_mrz,
    "tlv": fuzz_tlv,
    "sod": fuzz_sod,
    "passive": fuzz_passive,
    "master_list": fuzz_master_list,
    "dg2": fuzz_dg2,
    "lds": fuzz_lds,
}


def run_one(name: str, data: bytes) -> None:
    """Run a target; typed document errors are the expected outcome of bad input."""
    try:
        TARGETS[name](data)
    except DocumentError:
        return


def main(argv: list[str]) -> None:  # pragma: no cover - needs atheris
    import atheris  # type: ignore[import-not-found]

    name = argv[1] if len(argv) > 1 else "sod"
    atheris.Setup([argv[0], *argv[2:]], lambda data: run_one(name, data))
    atheris.Fuzz()


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv)
