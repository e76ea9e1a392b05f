"""FVC-layout folders and the two comparison protocols.

A folder holds ``<finger>_<impression>.<ext>`` images (``.tif``, ``.bmp``,
``.png``), directly or in an ``images/`` subfolder (the shared FVC2002 copy).
Protocols, both over unordered pairs (each pair compared once, probe = the
lower index):

- ``fvc`` (FVC2000-2006): genuine = every pair of impressions of the same
  finger (10 fingers x C(8,2) = 280); impostor = the first impression of each
  finger against the first impression of every other finger (C(10,2) = 45).
- ``all-pairs``: genuine as above; impostor = every cross-finger pair
  (C(80,2) - 280 = 2,880). More impostor scores, so FMR 1% and 0.1% are
  measured (``fvc``'s 45 impostors can only resolve FMR 2.2%).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import numpy as np
import numpy.typing as npt

from biometrics.fingerprint.errors import FingerprintError

PROTOCOLS = ("fvc", "all-pairs")
_NAME = re.compile(r"^(?P<finger>\d+)_(?P<impression>\d+)\.(tif|tiff|bmp|png)$", re.IGNORECASE)


class DatasetError(FingerprintError):
    code = "biometric.fingerprint.dataset"


@dataclass(frozen=True, slots=True)
class FvcSet:
    name: str
    images: tuple[Path, ...]
    fingers: tuple[str, ...]
    impressions: tuple[int, ...]


def load_fvc(folder: Path, *, limit_fingers: int | None = None) -> FvcSet:
    """The images of an FVC-layout folder, sorted by finger then impression."""
    root = folder / "images" if (folder / "images").is_dir() else folder
    if not root.is_dir():
        raise DatasetError(f"{folder} is not a folder")
    found = []
    for path in root.iterdir():
        match = _NAME.match(path.name)
        if match and path.is_file():
            found.append((match["finger"], int(match["impression"]), path))
    if not found:
        raise DatasetError(f"no <finger>_<impression>.tif images in {root}")
    found.sort(key=lambda row: (int(row[0]), row[1]))
    if limit_fingers is not None:
        keep = sorted({row[0] for row in found}, key=int)[:limit_fingers]
        found = [row for row in found if row[0] in keep]
    return FvcSet(
        name=folder.name,
        images=tuple(row[2] for row in found),
        fingers=tuple(row[0] for row in found),
        impressions=tuple(row[1] for row in found),
    )


def pairs(
    dataset: FvcSet, protocol: str
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], npt.NDArray[np.bool_]]:
    """(probe indices, reference indices, same finger) of the protocol's comparisons."""
    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown protocol {protocol!r}")
    fingers = dataset.fingers
    rows: list[tuple[int, int, bool]] = []
    for i, j in combinations(range(len(fingers)), 2):
        if fingers[i] == fingers[j]:
            rows.append((i, j, True))
        elif protocol == "all-pairs":
            rows.append((i, j, False))
    if protocol == "fvc":
        first: dict[str, int] = {}
        for k, finger in enumerate(fingers):
            if finger not in first or dataset.impressions[k] < dataset.impressions[first[finger]]:
                first[finger] = k
        heads = sorted(first.values())
        rows.extend((i, j, False) for i, j in combinations(heads, 2))
    if not rows:
        return np.zeros(0, np.intp), np.zeros(0, np.intp), np.zeros(0, bool)
    a, b, same = zip(*rows, strict=True)
    return np.array(a, np.intp), np.array(b, np.intp), np.array(same, bool)
