"""Evaluation inputs: identities and pairs CSVs, pair generation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from biometrics.face.datasets import (
    ADAPTERS,
    EvalSet,
    load_dataset,
    read_identities_csv,
    read_pairs_csv,
)
from biometrics.face.evalface import pair_indices
from models.errors import ConfigError, MalformedDataError


def test_identities_csv_paths_are_relative_to_the_csv(tmp_path: Path) -> None:
    csv = tmp_path / "set" / "identities.csv"
    csv.parent.mkdir()
    csv.write_text("path,identity\nimages/a1.jpg,alice\nimages/a2.jpg,alice\n/abs/b.jpg,bob\n")
    dataset = read_identities_csv(csv)
    assert dataset.images == (
        tmp_path / "set" / "images" / "a1.jpg",
        tmp_path / "set" / "images" / "a2.jpg",
        Path("/abs/b.jpg"),
    )
    a, b, same = pair_indices(dataset)
    assert list(zip(a, b, same, strict=True)) == [(0, 1, True), (0, 2, False), (1, 2, False)]


def test_pairs_csv_shares_images_between_pairs(tmp_path: Path) -> None:
    csv = tmp_path / "pairs.csv"
    csv.write_text("file_x,file_y,same_person\nx.jpg,y.jpg,1\nx.jpg,z.jpg,0\ny.jpg,z.jpg,false\n")
    dataset = read_pairs_csv(csv, tmp_path / "img")
    assert len(dataset.images) == 3
    assert dataset.pairs == ((0, 1, True), (0, 2, False), (1, 2, False))
    _a, _b, same = pair_indices(dataset)
    assert same.tolist() == [True, False, False]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("file_x,file_y\na,b\n", "missing column"),
        ("file_x,file_y,same_person\na,b,maybe\n", "same_person must be"),
    ],
)
def test_bad_pairs_csv_is_a_typed_error(tmp_path: Path, text: str, message: str) -> None:
    csv = tmp_path / "pairs.csv"
    csv.write_text(text)
    with pytest.raises(MalformedDataError, match=message):
        read_pairs_csv(csv, tmp_path)


def test_unreadable_csv_is_a_typed_error(tmp_path: Path) -> None:
    with pytest.raises(MalformedDataError):
        read_identities_csv(tmp_path / "absent.csv")
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(MalformedDataError):
        read_identities_csv(binary)


def test_empty_pair_list() -> None:
    a, b, same = pair_indices(EvalSet("empty", (), pairs=()))
    assert a.size == b.size == same.size == 0


def test_unknown_dataset_names_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        load_dataset("no_such_set", tmp_path)
    with pytest.raises(ConfigError, match="not found"):
        load_dataset("casia_facev5", tmp_path)


def test_every_adapter_is_named() -> None:
    assert set(ADAPTERS) >= {"casia_facev5", "lfw_gray", "yale_faces", "att_orl_faces"}
    assert np.all([callable(a) for a in ADAPTERS.values()])
