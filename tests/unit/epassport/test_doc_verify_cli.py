"""``gerbang doc verify``: JSON shape and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from devices.epassport import tlv
from devices.epassport.certinfo import CertInfo
from kiosk.cli import main
from kiosk.cli.exitcodes import ExitCode
from tests.unit.epassport import pki


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("doc")
    csca = pki.make_cert("CSCA Utopia", "UT", pki.rsa_key("csca"), ca=True)
    dsc = pki.make_cert("DS Utopia", "UT", pki.rsa_key("dsc"), csca, ca=False)
    dgs = {1: pki.dg1(pki.TD3_MRZ), 2: tlv.encode(0x75, b"face")}
    paths = {
        "sod": folder / "EF.SOD.bin",
        "dg1": folder / "EF.DG1.bin",
        "dg2": folder / "EF.DG2.bin",
        "trust": folder / "trust",
        "crl": folder / "revoked.crl",
        "ml": folder / "self.ml",
    }
    paths["sod"].write_bytes(pki.make_sod(dsc, dgs))
    paths["dg1"].write_bytes(dgs[1])
    paths["dg2"].write_bytes(dgs[2])
    paths["trust"].mkdir()
    (paths["trust"] / "csca.cer").write_bytes(csca.der)
    serial = CertInfo.load(dsc.der).serial
    paths["crl"].write_bytes(pki.make_crl(csca, [serial]))
    paths["ml"].write_bytes(pki.make_master_list(csca, [csca.der]))
    return paths


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["doc", "verify", *args])
    out, err = capsys.readouterr()
    return code, out, err


def base(files: dict[str, Path], *extra: str) -> list[str]:
    return [
        "--sod",
        str(files["sod"]),
        "--trust",
        str(files["trust"]),
        "--at",
        "2025-06-01",
        *extra,
    ]


def test_a_valid_document_exits_0_with_the_documented_json(
    capsys: pytest.CaptureFixture[str], files: dict[str, Path]
) -> None:
    code, out, _ = run(
        capsys, *base(files, "--dg", f"1={files['dg1']}", "--dg", f"2={files['dg2']}", "--json")
    )
    assert code == ExitCode.OK
    report = json.loads(out)
    assert {"passive_authentication", "hash_algorithm", "dg_hashes", "signer", "csca"} <= set(
        report
    )
    pa = report["passive_authentication"]
    assert pa["valid"] is True
    assert pa["checks"]["dg_hashes"] == {"1": True, "2": True}
    assert pa["checks"]["signature_valid"] is True and pa["checks"]["not_revoked"] is None
    assert report["hash_algorithm"] == "sha256"
    assert len(report["dg_hashes"]["1"]) == 64
    assert report["signer"]["country"] == "UT" and report["csca"]["country"] == "UT"


def test_text_output_and_a_wrong_data_group_exit_5(
    capsys: pytest.CaptureFixture[str], files: dict[str, Path]
) -> None:
    code, out, _ = run(capsys, *base(files, "--dg", f"1={files['dg2']}"))
    assert code == ExitCode.CHECK_FAILED
    assert "INVALID" in out and "DG1 hash" in out and "FAILED" in out


def test_a_revoked_dsc_exits_5(capsys: pytest.CaptureFixture[str], files: dict[str, Path]) -> None:
    code, out, _ = run(capsys, *base(files, "--trust", str(files["crl"]), "--json"))
    assert code == ExitCode.CHECK_FAILED
    assert json.loads(out)["passive_authentication"]["checks"]["not_revoked"] is False


def test_country_option(capsys: pytest.CaptureFixture[str], files: dict[str, Path]) -> None:
    dg1 = ("--dg", f"1={files['dg1']}")
    assert run(capsys, *base(files, *dg1, "--country", "UTO"))[0] == ExitCode.OK
    assert run(capsys, *base(files, *dg1, "--country", "IDN"))[0] == ExitCode.CHECK_FAILED


def test_a_sod_alone_is_not_a_valid_document(
    capsys: pytest.CaptureFixture[str], files: dict[str, Path]
) -> None:
    code, out, _ = run(capsys, *base(files, "--country", "UTO"))
    assert code == ExitCode.CHECK_FAILED
    assert "Passive Authentication: INVALID" in out and "VALID at" not in out.replace("INVALID", "")
    assert "required_dgs_checked" in out and "dg1_not_given" in out
    code, out, _ = run(capsys, *base(files, "--dg", f"2={files['dg2']}", "--json"))
    assert code == ExitCode.CHECK_FAILED  # DG2 alone does not do either: DG1 is the document
    report = json.loads(out)["passive_authentication"]
    assert report["valid"] is False and report["checks"]["required_dgs_checked"] is False


@pytest.mark.parametrize(
    "args",
    [
        ["--dg", "x=file"],
        ["--dg", "17=file"],
        ["--at", "yesterday"],
    ],
)
def test_usage_errors_exit_2(
    capsys: pytest.CaptureFixture[str], files: dict[str, Path], args: list[str]
) -> None:
    assert run(capsys, *base(files), *args)[0] == ExitCode.USAGE


def test_an_unreadable_trust_file_exits_7(
    capsys: pytest.CaptureFixture[str], files: dict[str, Path], tmp_path: Path
) -> None:
    junk = tmp_path / "junk.cer"
    junk.write_bytes(b"\x30\x03\x02\x01\x00")
    code, out, _ = run(capsys, *base(files, "--trust", str(junk), "--json"))
    assert code == ExitCode.DATA
    assert json.loads(out)["error"]["code"] == "document.malformed"


def test_a_self_consistent_list_is_refused_when_anchoring_is_required(
    capsys: pytest.CaptureFixture[str], files: dict[str, Path]
) -> None:
    args = ["--sod", str(files["sod"]), "--trust", str(files["ml"]), "--at", "2025-06-01"]
    args += ["--dg", f"1={files['dg1']}"]
    assert run(capsys, *args)[0] == ExitCode.OK
    code, out, _ = run(capsys, *args, "--require-anchored", "--json")
    assert code == ExitCode.SECURITY
    assert json.loads(out)["error"]["code"] == "security.master_list"


@pytest.mark.dataset
def test_a_real_german_sod_against_the_shared_master_lists(
    capsys: pytest.CaptureFixture[str], gerbang_data: Path
) -> None:
    icao = gerbang_data / "icao9303"
    code, out, _ = run(
        capsys,
        "--sod",
        str(icao / "sod_samples_gmrtd" / "DE" / "EF.SOD.bin"),
        "--trust",
        str(icao / "master_lists_gmrtd"),
        "--at",
        "2026-11-24",
        "--country",
        "D",
        "--json",
    )
    # The specimen comes without its data groups: the SOD and its chain verify, and the
    # result is still INVALID because DG1 was not compared (a SOD alone proves nothing).
    assert code == ExitCode.CHECK_FAILED
    report = json.loads(out)
    pa = report["passive_authentication"]
    assert [k for k, v in pa["checks"].items() if v is False] == ["required_dgs_checked"]
    assert pa["problems"] == ["dg1_not_given"]
    assert report["hash_algorithm"] == "sha384"
    assert report["csca"]["subject"].startswith("Common Name: csca-germany")
    assert report["signer"]["signature"]["verified_with"].endswith("explicit parameters)")


@pytest.mark.dataset
def test_verify_dataset_reports_every_specimen(
    capsys: pytest.CaptureFixture[str], gerbang_data: Path
) -> None:
    code = main(["doc", "verify-dataset", "--data", str(gerbang_data / "icao9303"), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == ExitCode.OK
    assert report["summary"] == {"sods": 13, "valid": 10, "expected_hashes_match": 10}
    invalid = {Path(r["sod"]).name for r in report["documents"] if not r["valid"]}
    assert invalid == {
        "BSI_TR-03105-5_EF_SOD.bin",
        "BSI_TR-03105-5_EF_SOD_modified_id-data.bin",
        "ETSI_TR103200_EACAA_EF_SOD.bin",
    }
    assert main(["doc", "verify-dataset", "--data", str(gerbang_data / "icao9303")]) == 0
    assert "sod_samples_gmrtd/DE/EF.SOD.bin" in capsys.readouterr().out
