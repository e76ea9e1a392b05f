"""Malformed EF.SOD and master lists, and the fuzz targets driven by hypothesis."""

from __future__ import annotations

from datetime import timedelta
from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devices.epassport import tlv
from devices.epassport.pa_params import MAX_SOD_BYTES
from devices.epassport.signatures import UnsupportedAlgorithmError
from devices.epassport.sod import parse_sod
from models.errors import MalformedDataError
from tests.fuzz.pa_targets import TARGETS, run_one
from tests.unit.epassport import pki


@cache
def seeds() -> dict[str, bytes]:
    csca = pki.make_cert("CSCA", "UT", pki.rsa_key("csca"), ca=True)
    dsc = pki.make_cert("DSC", "UT", pki.ec_key("edsc"), csca, ca=False)
    dgs = {1: pki.dg1(pki.TD1_MRZ), 2: tlv.encode(0x75, b"x")}
    sod = pki.make_sod(dsc, dgs)
    ci = tlv.parse_one(sod).value
    return {
        "sod": sod,
        "sod_indefinite": b"\x77\x80" + pki.to_indefinite(ci, 4) + b"\x00\x00",
        "master_list": pki.make_master_list(csca, [csca.der]),
        "dg2": pki.dg2([(0x5F2E, pki.iso19794_record([(0, pki.image_bytes("JPEG", 8, 8))]))]),
        "dg1": dgs[1],
        "mrz": pki.TD1_MRZ.encode("ascii"),
    }


def test_the_seeds_parse() -> None:
    assert parse_sod(seeds()["sod"]).dg_hashes.keys() == {1, 2}
    assert parse_sod(seeds()["sod_indefinite"]).hash_algorithm == "sha256"


@pytest.mark.parametrize("seed", ["sod", "sod_indefinite"])
def test_every_truncation_of_a_sod_is_a_typed_error(seed: str) -> None:
    data = seeds()[seed]
    for cut in range(0, len(data) - 1, 3):
        with pytest.raises(MalformedDataError):
            parse_sod(data[:cut])


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x77\x84\x7f\xff\xff\xff\x30", "runs past"),
        (b"\x77\x85\x01\x00\x00\x00\x00", "length field of 5 bytes"),
        (b"\x78\x02\x30\x00", "expected 77"),
        (b"\x77" + b"\x80" + b"\x30\x80" * 40 + b"\x00\x00" * 41, "nested too deeply"),
        (b"\x77\x80\x30\x80\x02\x01\x00", "end-of-contents"),
        (b"\x77\x80\x04\x80\x00\x00", "primitive"),
        (b"\x77\x00", "truncated|does not parse"),
        (b"\x00" * (MAX_SOD_BYTES + 1), "exceeds"),
    ],
)
def test_hostile_sods_are_typed_errors(data: bytes, message: str) -> None:
    with pytest.raises(MalformedDataError, match=message):
        parse_sod(data)


def test_trailing_data_after_the_sod_is_refused_but_padding_is_not() -> None:
    sod = seeds()["sod"]
    assert parse_sod(sod + b"\x00\x00\xff").hash_algorithm == "sha256"
    with pytest.raises(MalformedDataError, match="after its 0x77"):
        parse_sod(sod + b"\x01")


def test_an_unknown_hash_algorithm_is_an_unsupported_algorithm() -> None:
    sod = seeds()["sod"]
    # The DigestAlgorithm inside the LDSSecurityObject: sha256 OID ...02 01 -> ...02 0B (unassigned).
    oid = bytes.fromhex("0609608648016503040201")
    at = sod.index(oid, sod.index(parse_sod(sod).signed.content))
    forged = sod[:at] + oid[:-1] + b"\x0b" + sod[at + len(oid) :]
    with pytest.raises(UnsupportedAlgorithmError):
        parse_sod(forged)


def test_wrong_hash_sizes_and_repeated_groups_are_refused() -> None:
    from devices.epassport.sod import _parse_lds_security_object

    good = pki.lds_security_object({1: b"a", 2: b"b"})
    assert _parse_lds_security_object(good)[2].keys() == {1, 2}
    short = good.replace(bytes.fromhex("0420"), bytes.fromhex("041f"), 1)
    with pytest.raises(MalformedDataError):
        _parse_lds_security_object(short)
    twice = good.replace(bytes.fromhex("020102"), bytes.fromhex("020101"), 1)
    with pytest.raises(MalformedDataError, match="repeated"):
        _parse_lds_security_object(twice)


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_every_fuzz_target_accepts_its_seed(target: str) -> None:
    seed = {"passive": "sod", "tlv": "sod_indefinite", "lds": "dg1"}.get(target, target)
    run_one(target, seeds()[seed])


@settings(
    max_examples=250, deadline=timedelta(seconds=5), suppress_health_check=[HealthCheck.too_slow]
)
@given(
    target=st.sampled_from(sorted(TARGETS)),
    seed=st.sampled_from(["sod", "sod_indefinite", "master_list", "dg2", "dg1", "mrz"]),
    edits=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=6),
    cut=st.integers(0, 10**6),
)
def test_mutated_inputs_raise_only_document_errors(
    target: str, seed: str, edits: list[tuple[int, int]], cut: int
) -> None:
    data = bytearray(seeds()[seed])
    for pos, value in edits:
        data[pos % len(data)] = value
    run_one(target, bytes(data[: max(1, cut % (len(data) + 1))]))


@settings(max_examples=150, deadline=timedelta(seconds=5))
@given(data=st.binary(max_size=400), target=st.sampled_from(sorted(TARGETS)))
def test_random_bytes_raise_only_document_errors(data: bytes, target: str) -> None:
    run_one(target, data)


def test_the_ber_precheck_reads_each_tag_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # Regression (found by fuzzing): a recursive pre-check re-parsed every subtree, so
    # deep nesting around many small values took seconds. Count tag reads, not time.
    from devices.epassport.cms import check_ber_depth

    calls = 0
    real = tlv.read_tag

    def counting(buf: bytes, pos: int) -> tuple[int, int]:
        nonlocal calls
        calls += 1
        return real(buf, pos)

    monkeypatch.setattr(tlv, "read_tag", counting)
    check_ber_depth(b"\x30\x80" * 23 + b"\x04\x00" * 3000 + b"\x00\x00" * 23)
    assert calls == 23 + 3000
