"""Evidence that imported minutiae are converted right (``gerbang eval minutiae-import``).

The conversions of :mod:`biometrics.fingerprint.ansi9` and ``incits378`` are checked
against data, not only parsed:

* ``type9-13.an2k`` holds a Type-13 image and the legacy Type-9 minutiae of the
  same impression. Our own minutiae are extracted from the image (at its ppi)
  and compared with the converted Type-9 template by our matcher; the converted
  minutiae that have one of ours within ``PAIR_PX`` px and ``PAIR_DEG`` degrees are
  counted. The same is done for the conventions a wrong converter would use:
  y read from the top (no flip), no 180 degree turn, both. The impostor band is
  the converted template against prints of other fingers (an FVC folder).
* ``fmr.ansi2004``, ``fmr.ansi2007`` and ``fmr.iso2005``: the largest position and
  angle difference between their first views (same minutiae, three encodings).
* ``type9-efs.an2k``: the minutiae count of each converted EFS record.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from biometrics.fingerprint import ansi9, api, incits378, mcc
from biometrics.fingerprint.dataset import load_fvc
from biometrics.fingerprint.image import from_array
from biometrics.fingerprint.params import VERIFICATION
from biometrics.fingerprint.template import MinutiaeTemplate
from enrollment import ansinist
from enrollment.watchlist_files import type14_ppi

PAIR_PX = 10.0
PAIR_DEG = 20.0
SAMPLES = "libbiomeval_test_data"


@dataclasses.dataclass(frozen=True, slots=True)
class Type13Pair:
    converted: MinutiaeTemplate  # from the Type-9 record, frame of the Type-13 image
    extracted: MinutiaeTemplate  # ours, from the Type-13 image


def type9_13(path: Path) -> Type13Pair:
    """The converted Type-9 template and our extraction from the Type-13 image of one file."""
    transaction = ansinist.parse(path.read_bytes())
    (type9,) = transaction.of_type(9)
    (type13,) = transaction.of_type(13)
    ppi = float(type14_ppi(type13))
    pixels = ansinist.record_image(type13)
    frame = ansi9.Frame(int(pixels.shape[1]), int(pixels.shape[0]), ppi)
    fields = {k: v.decode("latin-1") for k, v in type9.fields.items() if k != 999}
    converted = mcc.encode(ansi9.from_type9(fields, frame=frame).template)
    extracted = api.extract_fingerprint(from_array(pixels, ppi=ppi), nfiq2=False).template
    return Type13Pair(converted, extracted)


def paired(template: MinutiaeTemplate, reference: MinutiaeTemplate) -> int:
    """Minutiae of ``template`` with one of ``reference`` within PAIR_PX px and PAIR_DEG deg."""
    count = 0
    for k in range(template.count):
        distance = np.hypot(reference.x - template.x[k], reference.y - template.y[k])
        turn = np.abs((reference.angle - template.angle[k] + np.pi) % (2 * np.pi) - np.pi)
        count += bool(np.any((distance <= PAIR_PX) & (turn <= math.radians(PAIR_DEG))))
    return count


def wrong_conventions(template: MinutiaeTemplate) -> dict[str, MinutiaeTemplate]:
    """What a converter with the wrong origin or direction rule would have produced."""
    height = np.float32(template.height)

    def variant(flip: bool, turn: bool) -> MinutiaeTemplate:
        y = height - template.y if flip else template.y
        angle = np.mod(template.angle + (np.pi if turn else 0.0), 2 * np.pi)
        plain = dataclasses.replace(
            template, y=y.astype(np.float32), angle=angle.astype(np.float32), cylinders=None
        )
        return mcc.encode(plain)

    return {
        "y_from_top_no_flip": variant(True, False),
        "no_180_turn": variant(False, True),
        "no_flip_no_turn": variant(True, True),
    }


def run(
    data: Path, impostors: Path, *, progress: Callable[[str], None] | None = None
) -> dict[str, Any]:
    """The evidence as a JSON-ready dict (``data``: the ansi_nist_itl folder)."""
    pair = type9_13(data / SAMPLES / "type9-13.an2k")
    fvc = load_fvc(impostors)
    others = []
    for index, image in enumerate(fvc.images):
        if progress is not None:
            progress(f"impostor {index + 1}/{len(fvc.images)}")
        others.append(api.extract_fingerprint(image, nfiq2=False).template)
    band = np.array([api.compare(pair.converted, other) for other in others])
    wrong = {
        name: {
            "score": round(api.compare(pair.extracted, template), 4),
            "paired": paired(template, pair.extracted),
            "impostor_max": round(max(api.compare(template, other) for other in others), 4),
        }
        for name, template in wrong_conventions(pair.converted).items()
    }
    return {
        "type9_13": {
            "converted_minutiae": pair.converted.count,
            "extracted_minutiae": pair.extracted.count,
            "genuine_score": round(api.compare(pair.extracted, pair.converted), 4),
            "paired": paired(pair.converted, pair.extracted),
            "pair_tolerance": {"px": PAIR_PX, "degrees": PAIR_DEG},
            "impostors": {
                "dataset": fvc.name,
                "comparisons": int(band.size),
                "max": round(float(band.max()), 4),
                "median": round(float(np.median(band)), 4),
                "at_or_above_accept": int((band >= VERIFICATION.accept).sum()),
            },
            "accept_threshold": VERIFICATION.accept,
            "wrong_conventions": wrong,
        },
        "fmr_records": _fmr_records(data / SAMPLES),
        "efs": _efs(data / SAMPLES / "type9-efs.an2k"),
    }


def _fmr_records(folder: Path) -> dict[str, Any]:
    records = {
        name: incits378.parse((folder / name).read_bytes())
        for name in ("fmr.ansi2004", "fmr.ansi2007", "fmr.iso2005")
    }
    reference = records["fmr.iso2005"].views[0].template
    out: dict[str, Any] = {}
    for name, parsed in records.items():
        first = parsed.views[0].template
        turn = np.abs((first.angle - reference.angle + np.pi) % (2 * np.pi) - np.pi)
        out[name] = {
            "standard": parsed.standard,
            "views": [[v.position, v.template.count] for v in parsed.views],
            "first_view_vs_iso_max_px": float(
                np.max(np.hypot(first.x - reference.x, first.y - reference.y))
            ),
            "first_view_vs_iso_max_degrees": round(float(np.degrees(turn.max())), 3),
            "warnings": list(parsed.warnings),
        }
    return out


def _efs(path: Path) -> list[dict[str, Any]]:
    transaction = ansinist.parse(path.read_bytes())
    out = []
    for record in transaction.of_type(9):
        fields = {k: v.decode("latin-1") for k, v in record.fields.items() if k != 999}
        converted = ansi9.from_type9(fields)
        out.append(
            {
                "idc": record.idc,
                "position": converted.position,
                "minutiae": converted.template.count,
                "frame_px": [converted.template.width, converted.template.height],
            }
        )
    return out
