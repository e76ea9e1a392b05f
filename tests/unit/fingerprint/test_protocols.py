"""FVC-layout folders and the fvc / all-pairs protocols."""

from __future__ import annotations

from pathlib import Path

import pytest

from biometrics.fingerprint.dataset import DatasetError, load_fvc, pairs
from biometrics.fingerprint.params import FUSION, VERIFICATION
from biometrics.fingerprint.verify import Decision, decide, decide_fused, fuse


def fvc_folder(root: Path, fingers: int = 10, impressions: int = 8) -> Path:
    images = root / "images"
    images.mkdir()
    for f in range(101, 101 + fingers):
        for i in range(1, impressions + 1):
            (images / f"{f}_{i}.tif").write_bytes(b"")
    (images / "notes.txt").write_text("ignored")
    return root


def test_protocol_counts_on_10_by_8(tmp_path: Path) -> None:
    dataset = load_fvc(fvc_folder(tmp_path))
    assert len(dataset.images) == 80
    a, b, same = pairs(dataset, "fvc")
    assert (int(same.sum()), int((~same).sum())) == (280, 45)
    assert all(
        dataset.impressions[i] == 1 == dataset.impressions[j]
        for i, j in zip(a[~same], b[~same], strict=True)
    )
    a, b, same = pairs(dataset, "all-pairs")
    assert (int(same.sum()), int((~same).sum())) == (280, 2880)
    assert bool((a < b).all())


def test_finger_limit_and_errors(tmp_path: Path) -> None:
    dataset = load_fvc(fvc_folder(tmp_path), limit_fingers=3)
    assert sorted(set(dataset.fingers)) == ["101", "102", "103"]
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DatasetError):
        load_fvc(empty)
    with pytest.raises(ValueError, match="unknown protocol"):
        pairs(dataset, "other")


def test_decisions_follow_the_policy_bands() -> None:
    assert decide(VERIFICATION.accept) is Decision.MATCH
    assert decide(VERIFICATION.reject - 1e-6) is Decision.NO_MATCH
    between = (VERIFICATION.accept + VERIFICATION.reject) / 2
    assert decide(between) is Decision.INCONCLUSIVE


def test_two_finger_fusion() -> None:
    assert fuse([0.1, None]) == 0.1
    assert fuse([0.1, 0.3], "max") == 0.3
    strong = decide_fused([FUSION.sum_accept, 0.0])
    assert strong.decision is Decision.MATCH
    assert decide_fused([0.0, None]).decision is Decision.NO_MATCH
    with pytest.raises(ValueError, match="measured for 2 fingers"):
        decide_fused([0.1, 0.1, 0.1])
    with pytest.raises(ValueError, match="no finger scores"):
        fuse([], "sum")
