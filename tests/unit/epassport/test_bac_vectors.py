"""BAC and 3DES secure messaging against ICAO 9303-11 Appendix D (every intermediate value).

The vectors are read from the shared data (test_vectors/icao9303_p11_appendixD_bac_sm.json).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from devices.epassport import bac, cipher, sm
from devices.epassport.access_key import MRZKey
from devices.epassport.command import parse_command
from devices.epassport.errors import AccessControlError, SecureMessagingMacError

from .scripted import ScriptedChannel

pytestmark = pytest.mark.dataset


@pytest.fixture(scope="module")
def vectors(gerbang_data: Path) -> dict[str, Any]:
    path = gerbang_data / "icao9303" / "test_vectors" / "icao9303_p11_appendixD_bac_sm.json"
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def h(value: str) -> bytes:
    return bytes.fromhex(value)


def test_d2_key_seed_and_document_keys(vectors: dict[str, Any]) -> None:
    d2 = vectors["D2_key_seed"]
    key = MRZKey(d2["document_number"], d2["date_of_birth"], d2["date_of_expiry"])
    assert key.mrz_information == d2["mrz_information"]
    assert hashlib.sha1(key.mrz_information.encode()).digest() == h(d2["sha1_mrz_information"])  # noqa: S324
    assert key.bac_seed() == h(d2["k_seed"])
    keys = bac.document_keys(key)
    assert keys.k_enc == h(d2["k_enc"])
    assert keys.k_mac == h(d2["k_mac"])
    td1 = d2["td1_mrz_used_by_dmrtd"]
    assert (
        MRZKey.from_mrz([td1[:30], td1[30:60], td1[60:]]).mrz_information == d2["mrz_information"]
    )


def test_d2_second_key_seed_long_document_number(vectors: dict[str, Any]) -> None:
    second = vectors["D2_second_key_seed_example_dmrtd"]
    mrz = second["mrz"]
    assert MRZKey.from_mrz([mrz[:36], mrz[36:]]).bac_seed() == h(second["k_seed"])


def test_d3_mutual_authentication(vectors: dict[str, Any]) -> None:
    d2, d3 = vectors["D2_key_seed"], vectors["D3_bac_mutual_authentication"]
    keys = bac.document_keys(
        MRZKey(d2["document_number"], d2["date_of_birth"], d2["date_of_expiry"])
    )
    exchange = bac.reader_challenge(keys, h(d3["rnd_icc"]), h(d3["rnd_ifd"]), h(d3["k_ifd"]))
    assert h(d3["s"]) == h(d3["rnd_ifd"]) + h(d3["rnd_icc"]) + h(d3["k_ifd"])
    assert exchange.command_data[:32] == h(d3["e_ifd"])
    assert exchange.command_data[32:] == h(d3["m_ifd"])
    assert exchange.command_data == h(d3["external_authenticate_cmd_data"])
    assert cipher.tdes_decrypt(keys.k_enc, h(d3["e_icc"])) == h(d3["r_decrypted"])
    session, ssc = bac.session_from_answer(keys, exchange, h(d3["external_authenticate_resp_data"]))
    assert h(d3["k_seed_session"]) == bytes(
        a ^ b for a, b in zip(h(d3["k_ifd"]), h(d3["k_icc"]), strict=True)
    )
    assert session.k_enc == h(d3["ks_enc"])
    assert session.k_mac == h(d3["ks_mac"])
    assert ssc == int(d3["ssc"], 16)


def test_d3_full_exchange_over_a_channel(vectors: dict[str, Any]) -> None:
    d2, d3 = vectors["D2_key_seed"], vectors["D3_bac_mutual_authentication"]
    channel = ScriptedChannel(
        [
            ("0084000008", d3["rnd_icc"] + "9000"),
            (
                "0082000028" + d3["external_authenticate_cmd_data"] + "28",
                d3["external_authenticate_resp_data"] + "9000",
            ),
        ]
        + [(s["protected_apdu"], s["rapdu"]) for s in vectors["D4_secure_messaging"]]
    )
    randoms = iter([h(d3["rnd_ifd"]), h(d3["k_ifd"])])
    secure = bac.perform_bac(
        channel,
        MRZKey(d2["document_number"], d2["date_of_birth"], d2["date_of_expiry"]),
        random_bytes=lambda n: next(randoms),
    )
    for step in vectors["D4_secure_messaging"]:
        assert secure.transmit(h(step["cmd_apdu"])) == h(step["unprotected_rapdu"])
    assert channel.done


def test_d4_every_secure_messaging_value(vectors: dict[str, Any]) -> None:
    d3 = vectors["D3_bac_mutual_authentication"]
    keys = cipher.SessionKeys(cipher.TDES, h(d3["ks_enc"]), h(d3["ks_mac"]))
    for step in vectors["D4_secure_messaging"]:
        ssc = int(step["ssc"], 16)
        header = h(step["masked_header"])
        m = cipher.pad(header, 8) + h(step["do87"]) + h(step["do97"])
        assert m == h(step["m"])
        assert cipher.pad(ssc.to_bytes(8, "big") + m, 8) == h(step["n"])
        assert keys.mac(ssc, m) == h(step["cc"])
        command = parse_command(h(step["cmd_apdu"]))
        assert sm.protect_command(keys, ssc, command) == h(step["protected_apdu"])
        ssc_resp = int(step["ssc_resp"], 16)
        assert ssc_resp == ssc + 1
        rapdu = h(step["rapdu"])
        assert keys.mac(ssc_resp, rapdu[: rapdu.index(b"\x8e\x08")]) == h(step["cc_resp"])
        assert sm.unprotect_response(keys, ssc_resp, rapdu) == h(step["unprotected_rapdu"])
        # the chip side reads our protected command back
        assert (
            sm.unprotect_command(keys, ssc, h(step["protected_apdu"])).encode() == command.encode()
        )


def test_wrong_mac_in_response_is_a_typed_error(vectors: dict[str, Any]) -> None:
    d3 = vectors["D3_bac_mutual_authentication"]
    keys = cipher.SessionKeys(cipher.TDES, h(d3["ks_enc"]), h(d3["ks_mac"]))
    step = vectors["D4_secure_messaging"][1]
    rapdu = bytearray(h(step["rapdu"]))
    rapdu[-3] ^= 0x01
    with pytest.raises(SecureMessagingMacError):
        sm.unprotect_response(keys, int(step["ssc_resp"], 16), bytes(rapdu))
    # the same response checked with a desynchronised SSC fails the same way
    with pytest.raises(SecureMessagingMacError):
        sm.unprotect_response(keys, int(step["ssc_resp"], 16) + 2, h(step["rapdu"]))


def test_refused_bac_names_the_status(vectors: dict[str, Any]) -> None:
    d3 = vectors["D3_bac_mutual_authentication"]
    key = MRZKey("L898902C", "690806", "940623")
    sent = bac.reader_challenge(bac.document_keys(key), h(d3["rnd_icc"]), bytes(8), bytes(16))
    channel = ScriptedChannel(
        [
            ("0084000008", d3["rnd_icc"] + "9000"),
            ("0082000028" + sent.command_data.hex() + "28", "6300"),
        ]
    )
    randoms = iter([bytes(8), bytes(16)])
    with pytest.raises(AccessControlError) as caught:
        bac.perform_bac(channel, key, random_bytes=lambda n: next(randoms))
    assert caught.value.reason == "refused" and caught.value.sw == 0x6300


def test_a_forged_chip_answer_is_rejected(vectors: dict[str, Any]) -> None:
    d2, d3 = vectors["D2_key_seed"], vectors["D3_bac_mutual_authentication"]
    keys = bac.document_keys(
        MRZKey(d2["document_number"], d2["date_of_birth"], d2["date_of_expiry"])
    )
    exchange = bac.reader_challenge(keys, h(d3["rnd_icc"]), h(d3["rnd_ifd"]), h(d3["k_ifd"]))
    answer = bytearray(h(d3["external_authenticate_resp_data"]))
    answer[0] ^= 0x80
    with pytest.raises(AccessControlError, match="wrong MAC"):
        bac.session_from_answer(keys, exchange, bytes(answer))
    other = bac.reader_challenge(keys, h(d3["rnd_icc"]), bytes(8), h(d3["k_ifd"]))
    with pytest.raises(AccessControlError, match="echo"):
        bac.session_from_answer(keys, other, h(d3["external_authenticate_resp_data"]))


@pytest.mark.parametrize("block", [8, 16])
def test_unpadding_is_strict_iso9797_method_2(block: int) -> None:
    from devices.epassport.errors import SecureMessagingError

    for size in range(3 * block):
        data = bytes(range(1, size + 1))
        assert cipher.unpad(cipher.pad(data, block), block) == data
    bad = [
        b"",
        b"\x01" * block,  # no 0x80
        b"\x01\x80" + b"\x00" * (block - 2) + b"\x00" * block,  # a whole block of zeros too many
        b"\x80" + b"\x00" * (block - 1) + b"\x00" * block,
        b"\x01\x02\x80",  # not whole blocks
        b"\x00" * (2 * block),
    ]
    for padded in bad:
        with pytest.raises(SecureMessagingError):
            cipher.unpad(padded, block)
