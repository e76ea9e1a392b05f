"""Evaluation inputs: identities and pairs CSVs, and adapters for the shared face sets.

Nothing is copied: adapters read each set's own index files where they lie
(``$GERBANG_DATA/faces/<name>/``) and return file paths into it.

- identities (``path,identity``): every pair of images is compared, genuine
  when the identities are equal;
- pairs (``file_x,file_y,same_person``): only the listed pairs.
"""

from __future__ import annotations

import csv
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from models.errors import ConfigError, MalformedDataError


@dataclass(frozen=True, slots=True)
class EvalSet:
    """Images and either identities (all pairs) or explicit pairs (indices into ``images``)."""

    name: str
    images: tuple[Path, ...]
    identities: tuple[str, ...] | None = None
    pairs: tuple[tuple[int, int, bool], ...] | None = None
    note: str = ""


def data_root() -> Path:
    """``$GERBANG_DATA``, else ``../shared/data`` next to the repository."""
    env = os.environ.get("GERBANG_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2].parent / "shared" / "data"


def read_identities_csv(path: Path, *, name: str | None = None) -> EvalSet:
    """``path,identity`` rows; relative paths are relative to the CSV's folder."""
    rows = _rows(path, ("path", "identity"))
    images = tuple(_resolve(path.parent, row["path"]) for row in rows)
    return EvalSet(
        name=name or path.stem,
        images=images,
        identities=tuple(row["identity"] for row in rows),
    )


def read_pairs_csv(path: Path, images_dir: Path, *, name: str | None = None) -> EvalSet:
    """``file_x,file_y,same_person`` rows (same_person 1/0, true/false, yes/no)."""
    rows = _rows(path, ("file_x", "file_y", "same_person"))
    index: dict[Path, int] = {}
    pairs = []
    for number, row in enumerate(rows, start=2):
        a = index.setdefault(_resolve(images_dir, row["file_x"]), len(index))
        b = index.setdefault(_resolve(images_dir, row["file_y"]), len(index))
        pairs.append((a, b, _truth(row["same_person"], path, number)))
    return EvalSet(name=name or path.stem, images=tuple(index), pairs=tuple(pairs))


def _rows(path: Path, columns: tuple[str, ...]) -> list[dict[str, str]]:
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in columns if c not in (reader.fieldnames or [])]
            if missing:
                raise MalformedDataError(f"{path.name}: missing column(s) {', '.join(missing)}")
            return [row for row in reader if any((row.get(c) or "").strip() for c in columns)]
    except OSError as exc:
        raise MalformedDataError(f"cannot read {path}: {exc.strerror}") from exc
    except (csv.Error, UnicodeDecodeError) as exc:
        raise MalformedDataError(f"{path.name} is not a readable CSV: {exc}") from exc


def _resolve(folder: Path, relative: str) -> Path:
    candidate = Path(relative.strip())
    return candidate if candidate.is_absolute() else folder / candidate


def _truth(value: str, path: Path, line: int) -> bool:
    text = value.strip().lower()
    if text in ("1", "true", "yes", "same"):
        return True
    if text in ("0", "false", "no", "different"):
        return False
    raise MalformedDataError(f"{path.name}:{line}: same_person must be 1 or 0, not {value!r}")


# ---------------------------------------------------------------- shared face sets


def _identities_set(name: str) -> Callable[[Path], EvalSet]:
    def load(faces: Path) -> EvalSet:
        return read_identities_csv(faces / name / "identities.csv", name=name)

    return load


def _face_recognition_examples(faces: Path) -> EvalSet:
    """Single-face stills of labels.csv, byte-identical copies dropped (the rest stays:
    note that obama-240p/480p/720p/1080p are one photo at four sizes)."""
    folder = faces / "face_recognition_examples"
    rows = _rows(folder / "labels.csv", ("path", "identity", "faces_in_image"))
    seen: set[str] = set()
    images, identities = [], []
    for row in rows:
        if row["faces_in_image"].strip() != "1":
            continue
        path = folder / row["path"]
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest in seen:
            continue
        seen.add(digest)
        images.append(path)
        identities.append(row["identity"])
    return EvalSet(
        "face_recognition_examples",
        tuple(images),
        tuple(identities),
        note="one obama photo appears at four resolutions: its genuine pairs are easy",
    )


def _lfw_protocol(faces: Path) -> EvalSet:
    """LFW View 2 (pairs.txt, 10 folds) restricted to the pairs whose two images are in
    lfw_gray (grey copies of the same LFW files)."""
    lfw = faces / "lfw_gray" / "images"
    lines = (faces / "lfw_protocol" / "pairs.txt").read_text(encoding="utf-8").splitlines()
    index: dict[Path, int] = {}
    pairs = []
    for line in lines[1:]:
        parts = line.split()
        if len(parts) == 3:
            x, y, same = (parts[0], parts[1]), (parts[0], parts[2]), True
        elif len(parts) == 4:
            x, y, same = (parts[0], parts[1]), (parts[2], parts[3]), False
        else:
            continue
        px, py = (lfw / n / f"{n}_{int(k):04d}.jpg" for n, k in (x, y))
        if px.is_file() and py.is_file():
            a = index.setdefault(px, len(index))
            b = index.setdefault(py, len(index))
            pairs.append((a, b, same))
    return EvalSet(
        "lfw_protocol",
        tuple(index),
        pairs=tuple(pairs),
        note="LFW View 2 pairs whose images are in lfw_gray (grey)",
    )


def _deepface_pairs(faces: Path) -> EvalSet:
    return read_identities_csv(faces / "deepface_pairs" / "identities.csv", name="deepface_pairs")


ADAPTERS: dict[str, Callable[[Path], EvalSet]] = {
    "casia_facev5": _identities_set("casia_facev5"),
    "lfw_gray": _identities_set("lfw_gray"),
    "yale_faces": _identities_set("yale_faces"),
    "att_orl_faces": _identities_set("att_orl_faces"),
    "deepface_pairs": _deepface_pairs,
    "face_recognition_examples": _face_recognition_examples,
    "lfw_protocol": _lfw_protocol,
}
# silent_face_antispoof_samples has no identities: it is used by the liveness tests.


def load_dataset(name: str, root: Path | None = None) -> EvalSet:
    """One of :data:`ADAPTERS` from ``<root>/faces/`` (root: :func:`data_root`)."""
    if name not in ADAPTERS:
        raise ConfigError(
            f"unknown face dataset {name!r}; known: {', '.join(sorted(ADAPTERS))}", key="dataset"
        )
    faces = (root or data_root()) / "faces"
    if not (faces / name).is_dir() and name != "lfw_protocol":
        raise ConfigError(f"face dataset folder not found: {faces / name}", key="dataset")
    return ADAPTERS[name](faces)
