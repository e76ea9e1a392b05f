"""``gerbang eval face`` and ``gerbang bench face`` on small subsets of the shared sets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from biometrics.face.datasets import load_dataset
from kiosk.cli import main
from kiosk.cli.exitcodes import ExitCode

pytestmark = pytest.mark.dataset


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_eval_face_on_a_dataset_subset(
    capsys: pytest.CaptureFixture[str], gerbang_data: Path, tmp_path: Path
) -> None:
    plot = tmp_path / "det.png"
    code, out, _ = run(
        capsys, "eval", "face", "--dataset", "casia_facev5", "--limit", "6", "--json",
        "--plot", str(plot),
    )  # fmt: skip
    assert code == 0
    report = json.loads(out)
    # casia_000's 5 images and 1 of casia_003's: 10 genuine pairs of 15.
    assert (report["images"], report["genuine"], report["impostor"]) == (6, 10, 5)
    assert set(report["matchers"]) == {"gerbang", "face_recognition_baseline"}
    for name, figures in report["matchers"].items():
        assert set(figures["fnmr_at_fmr"]) == {"0.01", "0.001"}
        assert set(figures["threshold_at_fmr"]) == {"0.01", "0.001"}
        assert 0 <= figures["eer"] <= 0.25  # bands, not exact values
        assert figures["failures_to_enrol"] == report["failures_to_enrol"][name]
    assert report["matchers"]["gerbang"]["failures_to_enrol"] <= 1
    assert "at_tolerance_0.6" in report["matchers"]["face_recognition_baseline"]
    assert plot.read_bytes()[:4] == b"\x89PNG"


def test_eval_face_with_identities_and_pairs_csv(
    capsys: pytest.CaptureFixture[str], gerbang_data: Path, tmp_path: Path
) -> None:
    yale = gerbang_data / "faces" / "yale_faces" / "images"
    identities = tmp_path / "ids.csv"
    identities.write_text(
        "path,identity\n"
        + "".join(
            f"{yale / s / f'{s}.{c}'},{s}\n"
            for s in ("subject01", "subject02")
            for c in ("happy", "sad", "sleepy")
        )
    )
    code, out, _ = run(
        capsys, "eval", "face", "--identities", str(identities), "--no-baseline", "--json",
        "--policy", "0.99", "0.5",
    )  # fmt: skip
    assert code == 0
    report = json.loads(out)
    assert (report["genuine"], report["impostor"]) == (6, 9)
    assert report["matchers"]["gerbang"]["eer"] == 0.0
    at_policy = report["matchers"]["gerbang"]["at_policy"]
    assert at_policy["accept"]["threshold"] == 0.99 and at_policy["reject"]["fmr"] == 1.0
    assert "face_recognition_baseline" not in report["matchers"]

    images = gerbang_data / "faces" / "face_recognition_examples"
    (tmp_path / "junk.jpg").write_bytes(b"not an image at all")
    pairs = tmp_path / "pairs.csv"
    pairs.write_text(
        "file_x,file_y,same_person\n"
        f"{images / 'tests/test_images/obama.jpg'},{images / 'tests/test_images/obama2.jpg'},1\n"
        f"{images / 'tests/test_images/obama.jpg'},{images / 'tests/test_images/biden.jpg'},0\n"
        f"{tmp_path / 'junk.jpg'},{images / 'tests/test_images/biden.jpg'},0\n"
    )
    code, out, _ = run(
        capsys, "eval", "face", "--pairs", str(pairs), "--images", str(tmp_path), "--json",
        "--no-baseline",
    )  # fmt: skip
    assert code == 0
    report = json.loads(out)
    ours = report["matchers"]["gerbang"]
    assert report["genuine"] == 1 and report["impostor"] == 2
    assert ours["failures_to_enrol"] == 1
    assert ours["failure_reasons"] == {"document.malformed.image.unknown_format": 1}
    assert ours["impostor"] == 1  # the junk pair is left out ...
    assert ours["fte_as_non_match"]["eer"] == 0.0  # ... or counted as a correct rejection


def test_eval_face_usage_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    pairs = tmp_path / "p.csv"
    pairs.write_text("file_x,file_y,same_person\n")
    assert run(capsys, "eval", "face", "--pairs", str(pairs))[0] == ExitCode.USAGE
    assert run(capsys, "eval", "face")[0] == ExitCode.USAGE
    assert run(capsys, "eval", "face", "--dataset", "nope")[0] == ExitCode.USAGE
    policy = ("--policy", "0.5", "0.9")
    assert run(capsys, "eval", "face", "--pairs", str(pairs), "--images", ".", *policy)[0] == 2


def test_every_shared_face_set_has_an_adapter(gerbang_data: Path) -> None:
    sizes = {}
    for name in ("casia_facev5", "lfw_gray", "yale_faces", "att_orl_faces", "deepface_pairs",
                 "face_recognition_examples", "lfw_protocol"):  # fmt: skip
        dataset = load_dataset(name, gerbang_data)
        assert all(p.is_file() for p in dataset.images), name
        sizes[name] = len(dataset.images)
    assert sizes["lfw_gray"] == 3184 and sizes["casia_facev5"] == 100
    protocol = load_dataset("lfw_protocol", gerbang_data)
    assert protocol.pairs is not None and len(protocol.pairs) > 100


@pytest.mark.slow
def test_bench_face_reports_stages_and_goals(
    capsys: pytest.CaptureFixture[str], gerbang_data: Path
) -> None:
    code, out, _ = run(
        capsys, "bench", "face", "--frames", "10", "--baseline-frames", "1", "--json"
    )
    assert code == 0
    report = json.loads(out)
    assert {"detect", "landmarks", "quality", "embed"} <= set(report["stage_ms"])
    assert report["frame_size"] == [640, 480]
    assert set(report["guidance_loop"]) == {"video", "kiosk"}
    assert report["goals"]["guidance_fps"]["goal"] == 15
    assert report["face_recognition_baseline"]["kiosk"]["frames"] == 1
