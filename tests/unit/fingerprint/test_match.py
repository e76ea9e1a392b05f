"""MCC cylinders and LSS-R on synthetic templates: the same finger moved scores high."""

from __future__ import annotations

import importlib
import math
import types
from dataclasses import replace

import numpy as np
import pytest

from biometrics.fingerprint import flow, match, mcc
from biometrics.fingerprint.params import CYLINDER, CylinderParams
from biometrics.fingerprint.template import BIT_LEVEL, Cylinders, MinutiaeTemplate
from tests.unit.fingerprint.synthetic import moved, random_template


def encoded(template: MinutiaeTemplate) -> MinutiaeTemplate:
    return mcc.encode(template)


def test_cylinders_have_one_row_per_valid_minutia() -> None:
    template = encoded(random_template(40))
    cylinders = template.cylinders
    assert cylinders is not None
    cells = mcc.cell_offsets(CYLINDER).shape[0]
    assert cylinders.values.shape == (cylinders.count, cells * CYLINDER.nd)
    assert cylinders.valid.shape == (cylinders.count, cells)
    assert 0 < cylinders.count <= 40
    assert np.all((cylinders.values >= 0) & (cylinders.values <= 1))
    per_cell = cylinders.values.reshape(cylinders.count, cells, CYLINDER.nd)
    assert np.all(per_cell[cylinders.valid == 0] == 0)
    # the last word: the spatial validity, one bit a cell
    spatial = np.unpackbits(cylinders.words[:, -1:].view(np.uint8), axis=1, bitorder="little")
    assert np.array_equal(spatial[:, :cells], cylinders.valid > 0) and not spatial[:, cells:].any()


def test_cylinders_are_rotation_and_translation_invariant() -> None:
    base = random_template(40, seed=2)
    turned = moved(base, rotation=math.radians(30), shift=(20, -10))
    a, b = encoded(base).cylinders, encoded(turned).cylinders
    assert a is not None and b is not None
    common = np.intersect1d(a.index, b.index)
    assert common.size > 20
    rows_a = np.searchsorted(a.index, common)
    rows_b = np.searchsorted(b.index, common)
    both = np.repeat((a.valid[rows_a] * b.valid[rows_b]) > 0, CYLINDER.nd, axis=1)
    difference = np.abs(a.values[rows_a] - b.values[rows_b])[both]
    assert float(np.median(difference)) < 0.05


@pytest.mark.parametrize("rotation", [0.0, 25.0, -40.0])
def test_same_finger_scores_far_above_another(rotation: float) -> None:
    base = encoded(random_template(40, seed=7))
    again = encoded(
        moved(base, rotation=math.radians(rotation), shift=(15, 25), jitter=2.0, drop=6)
    )
    other = encoded(random_template(40, seed=8))
    genuine = match.compare(base, again)
    impostor = match.compare(base, other)
    assert genuine > 0.15
    assert impostor < 0.06
    assert genuine > 4 * impostor


def test_compare_many_equals_pairwise_compare() -> None:
    probe = encoded(random_template(35, seed=11))
    references = [encoded(random_template(n, seed=20 + n)) for n in (30, 1, 45, 0)]
    references.append(encoded(moved(probe, rotation=0.3, shift=(5, 5), jitter=1.0)))
    many = match.compare_many(probe, match.Gallery(references))
    single = [match.compare(probe, r) for r in references]
    assert many == pytest.approx(single, abs=1e-6)  # float32 products, other blocking
    assert many[1] == 0.0 and many[3] == 0.0  # one and no minutiae: no score
    assert int(np.argmax(many)) == 4


@pytest.mark.parametrize("sizes", [(30, 0), (0, 30, 0), (12, 50, 25, 3, 40)])
def test_compare_many_any_order_of_sizes(sizes: tuple[int, ...]) -> None:
    """References sorted into size chunks (an empty one last, chunks of 2) score as alone."""
    probe = encoded(random_template(35, seed=11))
    references = [encoded(random_template(n, seed=40 + k)) for k, n in enumerate(sizes)]
    many = match.compare_many(probe, match.Gallery(references, chunk=2))
    single = [match.compare(probe, r) for r in references]
    assert many == pytest.approx(single, abs=1e-6)


def test_few_minutiae_score_zero_not_crash() -> None:
    few = encoded(random_template(2, seed=1))
    assert match.compare(few, encoded(random_template(40))) == 0.0


def test_unencoded_template_is_refused() -> None:
    with pytest.raises(ValueError, match="cylinders"):
        match.compare(random_template(10), encoded(random_template(10)))


def test_cylinders_of_keeps_the_arrays_as_views_of_its_blocks() -> None:
    rng = np.random.default_rng(3)
    values = rng.random((4, 12), dtype=np.float32)
    valid = (rng.random((4, 2)) > 0.5).astype(np.float32)
    angle = rng.uniform(-math.pi, math.pi, 4)
    x, y = rng.random(4) * 300, rng.random(4) * 300
    c = Cylinders.of(values, valid, [0, 2, 3, 5], angle, x, y)
    assert c.count == 4 and c.cells.shape == (4, 14) and c.points.shape == (4, 5)
    assert np.array_equal(c.values, values) and np.array_equal(c.valid, valid)
    assert c.index.tolist() == [0, 2, 3, 5] and c.layout == (1, 1)
    bits = np.unpackbits(c.words.view(np.uint8), axis=1, bitorder="little").reshape(4, 3, 64)
    repeated = np.repeat(valid > 0, 6, axis=1)
    assert np.array_equal(bits[:, 0, :12], (values >= 0.5) & repeated)  # the value word
    assert np.array_equal(bits[:, 1, :12], repeated) and not bits[:, :2, 12:].any()
    assert np.allclose(c.angle, angle) and np.allclose(c.x, x) and np.allclose(c.y, y)
    assert np.allclose(c.points[:, 3], np.cos(angle), atol=1e-6)
    assert np.allclose(c.points[:, 4], np.sin(angle), atol=1e-6)
    empty = Cylinders.of(np.zeros((0, 12)), np.zeros((0, 2)), [], [], [], [])
    assert empty.count == 0 and empty.values.shape == (0, 12) and empty.valid.shape == (0, 2)


def test_c_kernel_is_built() -> None:
    """setup.py compiles it as an optional extension: a failed build must not go unnoticed."""
    assert match.native(), "biometrics/fingerprint/_simkernel.c was not compiled (pip install -e .)"


@pytest.mark.parametrize(
    ("probe_size", "cylinder"),
    [(45, CYLINDER), (8, CYLINDER), (150, CYLINDER), (45, replace(CYLINDER, ns=6, nd=4))],
)
def test_c_kernel_gives_the_numpy_scores(
    monkeypatch: pytest.MonkeyPatch, probe_size: int, cylinder: CylinderParams
) -> None:
    """The loops (local similarity, the best pairs, LSS-R) against NumPy; 150 minutiae:
    more than any template we extract (80), as an imported one may have. ns 6, nd 4: a
    cylinder of 2 value words, the C kernel's general loop (the default has its own)."""
    size = 200 if probe_size < 20 else 600
    probe = mcc.encode(random_template(probe_size, seed=7, size=size), cylinder)
    references = [
        mcc.encode(random_template(n, seed=60 + n, size=600), cylinder) for n in (40, 2, 160, 0, 30)
    ]
    references.append(mcc.encode(moved(probe, rotation=-0.4, shift=(8, -6), jitter=1.5), cylinder))
    gallery = match.Gallery(references, chunk=2)
    a, g = probe.cylinders, gallery
    assert a is not None and a.layout == (2 if cylinder.nd == 4 else 5, 1)
    assert match.native()  # else this compares NumPy with NumPy
    native_gamma = match._similarity_t(a, g.words, g.direction, cylinder)
    native_scores = match.compare_many(probe, gallery, cylinder)
    monkeypatch.setattr(match, "_KERNEL", None)
    assert not match.native()
    numpy_gamma = match._similarity_t(a, g.words, g.direction, cylinder)
    numpy_scores = match.compare_many(probe, gallery, cylinder)
    assert numpy_gamma.shape == native_gamma.shape == (g.words.shape[1], a.count)
    assert np.count_nonzero(numpy_gamma) > 0  # the comparison covers real similarities
    assert np.array_equal(native_gamma, numpy_gamma)  # same counts, same float32 steps
    assert np.allclose(native_scores, numpy_scores, rtol=0, atol=1e-6)
    assert numpy_scores[1] == numpy_scores[3] == 0.0
    if probe_size > 8:
        assert int(np.argmax(numpy_scores)) == 5 and numpy_scores[5] > 0.1


def test_bit_similarity_is_the_float_formula_on_the_bits() -> None:
    """A cell's bit: its value reaches BIT_LEVEL. The similarity of two bit cylinders is
    the float similarity of their 0/1 values on the cells valid in both."""
    a = encoded(random_template(30, seed=3)).cylinders
    b = encoded(
        moved(random_template(30, seed=3), rotation=0.2, shift=(4, 4), jitter=1.0)
    ).cylinders
    assert a is not None and b is not None
    gamma = match.local_similarity(a, b)
    nd = CYLINDER.nd
    for i, j in [(0, 0), (3, 5), (7, 7), (12, 2)]:
        both = np.repeat((a.valid[i] > 0) & (b.valid[j] > 0), nd)
        x = (a.values[i] >= BIT_LEVEL) & both
        y = (b.values[j] >= BIT_LEVEL) & both
        norms = np.sqrt(x.sum()) + np.sqrt(y.sum())
        expected = 1.0 - np.sqrt((x ^ y).sum()) / norms if norms else 0.0
        angle = abs((a.angle[i] - b.angle[j] + np.pi) % (2 * np.pi) - np.pi)
        if both.sum() / nd < CYLINDER.min_matchable_cells * a.spatial or angle > np.pi / 2:
            expected = 0.0
        assert gamma[i, j] == pytest.approx(max(expected, 0.0), abs=1e-6)
    assert np.count_nonzero(gamma[[0, 7, 12], [0, 7, 2]]) == 3  # not only gated zeros


def test_the_best_pairs_are_a_stable_sorts_first_whatever_the_ties(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Bit similarities tie often: the pairs taken must not depend on where a row's ties
    fall (C and NumPy alike: a stable descending sort's first k)."""
    rng = np.random.default_rng(0)
    kernel = match.kernel()
    assert kernel is not None
    gamma = np.array([[0.5, 0.2, 0.5, 0.0, 0.7, 0.2, 0.5]], np.float32)
    with monkeypatch.context() as patch:
        patch.setattr(match, "_KERNEL", None)
        assert match._best(gamma, 4).tolist() == [[4, 0, 2, 6]]  # the NumPy path
    assert match._best(gamma, 4).tolist() == [[4, 0, 2, 6]]
    for _ in range(400):
        batch, length = int(rng.integers(1, 5)), int(rng.integers(1, 400))
        k = int(rng.integers(0, length + 1))
        levels = int(rng.integers(1, 12))
        gamma = (rng.integers(0, levels, (batch, length)) / levels).astype(np.float32)
        gamma[rng.random((batch, length)) < rng.random()] = 0.0
        expected = np.argsort(-gamma, axis=1, kind="stable")[:, :k]
        out = np.empty((batch, k), np.int64)
        kernel.best(gamma, batch, length, k, out)
        assert np.array_equal(out, expected)


def test_a_score_does_not_depend_on_the_gallery_it_is_found_in() -> None:
    """The same pair scores the same alone, in chunks of any size, in any company."""
    probe = encoded(random_template(35, seed=11))
    references = [encoded(random_template(n, seed=80 + n)) for n in (30, 45, 12, 50, 38, 41)]
    references.append(encoded(moved(probe, rotation=0.3, shift=(5, 5), jitter=1.0)))
    alone = [match.compare(probe, r) for r in references]
    for chunk in (1, 3, 16):
        assert match.compare_many(probe, match.Gallery(references, chunk=chunk)).tolist() == alone
    shuffled = [references[k] for k in (6, 2, 0, 5, 1, 3, 4)]
    again = match.compare_many(probe, match.Gallery(shuffled, chunk=2))
    assert again.tolist() == [alone[k] for k in (6, 2, 0, 5, 1, 3, 4)]


def test_c_kernel_refuses_wrong_sizes() -> None:
    kernel = match._KERNEL
    assert kernel is not None
    rows, n, w, s = 3, 4, 5, 1
    ok: dict[str, np.ndarray] = {
        "a": np.zeros((n, 2 * w + s), np.uint64),
        "a_direction": np.zeros((n, 2), np.float32),
        "g": np.zeros((2 * w + s, rows), np.uint64),
        "g_direction": np.zeros((2, rows), np.float32),
        "out": np.zeros((rows, n), np.float32),
    }

    def call(arrays: dict[str, np.ndarray], rows: int = rows, n: int = n, w: int = w) -> None:
        a, a_direction, g, g_direction, out = arrays.values()
        kernel.similarity_bits(a, a_direction, n, g, g_direction, rows, w, s, 1.0, 0.0, out)

    call(ok)
    for name in ok:
        with pytest.raises(ValueError, match=name):
            call(dict(ok, **{name: np.zeros(1, ok[name].dtype)}))
    with pytest.raises(ValueError, match="negative"):
        call(ok, rows=-1)
    with pytest.raises(ValueError, match="words"):
        call(ok, w=0)
    with pytest.raises(ValueError, match="a: expected uint64"):
        call(dict(ok, a=np.zeros((n, 2 * w + s), np.int64)))
    with pytest.raises(ValueError, match="contiguous"):  # refused, never read past it
        call(dict(ok, g=np.zeros((2 * w + s, 2 * rows), np.uint64)[:, ::2]))
    with pytest.raises(ValueError, match="read-only"):  # the output must be writable
        readonly = np.zeros((rows, n), np.float32)
        readonly.flags.writeable = False
        call(dict(ok, out=readonly))
    gamma, out = np.zeros((2, 5), np.float32), np.zeros((2, 3), np.int64)
    kernel.best(gamma, 2, 5, 3, out)
    with pytest.raises(ValueError, match="k <= length"):
        kernel.best(gamma, 2, 5, 6, np.zeros((2, 6), np.int64))
    with pytest.raises(ValueError, match="out"):
        kernel.best(gamma, 2, 5, 3, np.zeros((2, 4), np.int64))


def _relax_arguments(batch: int = 2, k: int = 3) -> list[object]:
    f32 = np.float32
    rng = np.random.default_rng(5)
    points = [rng.uniform(0, 200, (batch, k)).astype(f32) for _ in range(6)]
    lam0 = np.sort(rng.uniform(0.1, 0.9, (batch, k)).astype(f32), axis=1)[:, ::-1].copy()
    m = np.full(batch, k, np.int64)
    n_p = np.full(batch, 2, np.int64)
    weight = np.full(batch, 0.25, f32)
    out = np.zeros(batch)
    return [
        *points,
        lam0,
        m,
        n_p,
        weight,
        out,
        batch,
        k,
        5,
        0.5,
        5.0,
        -1.6,
        0.26,
        -30.0,
        0.26,
        -30.0,
        23.0,
    ]


def test_c_relax_scores_and_refuses_bad_arguments() -> None:
    kernel = match._KERNEL
    assert kernel is not None
    good = _relax_arguments()
    kernel.relax(*good)
    out = good[10]
    assert isinstance(out, np.ndarray) and np.all(out > 0) and np.all(np.isfinite(out))
    cases = {
        0: np.zeros(1, np.float32),  # xa of the wrong size
        6: np.zeros((2, 3), np.float64),  # lam0 not float32 (byte count)
        7: np.array([4, 3], np.int64),  # more active pairs than k: never read past a row
        8: np.zeros(2, np.int32),  # n_p not int64
        10: np.zeros(2, np.float32),  # out not float64
        11: -1,  # negative batch
    }
    for position, value in cases.items():
        bad = list(good)
        bad[position] = value
        with pytest.raises(ValueError, match=r"expected|outside|negative"):
            kernel.relax(*bad)
    huge = list(good)
    huge[12] = 2**62 + 1  # k: batch * k would overflow; refused before any size check
    with pytest.raises(ValueError, match="within"):
        kernel.relax(*huge)
    skip = _relax_arguments()
    skip[8] = np.zeros(2, np.int64)  # nP 0: score 0, as the NumPy path for nR < 2
    kernel.relax(*skip)
    assert np.all(skip[10] == 0.0)


def test_a_kernel_that_cannot_load_warns_and_numpy_takes_over(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_import = importlib.import_module

    def failing(name: str, package: str | None = None) -> types.ModuleType:
        if name == "biometrics.fingerprint._simkernel":
            raise ImportError("undefined symbol: _ZGVdN8vv_atan2f")
        return real_import(name, package)

    monkeypatch.setattr(importlib, "import_module", failing)
    with pytest.warns(UserWarning, match="C kernel not loaded, NumPy used"):
        assert match._load_kernel() is None


def test_an_older_kernel_build_without_a_function_falls_back_to_numpy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_import = importlib.import_module
    older = types.ModuleType("biometrics.fingerprint._simkernel")  # before agreement()
    for name in ("similarity", "relax"):
        setattr(older, name, lambda *a: None)

    def stale(name: str, package: str | None = None) -> types.ModuleType:
        if name == "biometrics.fingerprint._simkernel":
            return older
        return real_import(name, package)

    monkeypatch.setattr(importlib, "import_module", stale)
    with pytest.warns(UserWarning, match="lacks similarity_bits, best, agreement"):
        assert match._load_kernel() is None
    # every name, but the arguments of an older version (no ABI constant: 1)
    for name in ("similarity_bits", "best", "agreement"):
        older.__dict__[name] = lambda *a: 0.0
    with pytest.warns(UserWarning, match="ABI 1, this code needs 3"):
        assert match._load_kernel() is None


def test_the_built_kernel_is_the_version_this_code_calls() -> None:
    kernel = match.kernel()
    assert kernel is not None and getattr(kernel, "ABI", None) == match.KERNEL_ABI


def test_the_best_pairs_say_where_the_reference_lies() -> None:
    probe = mcc.encode(random_template(40, seed=11))
    # the reference: the probe turned 0.3 rad counter-clockwise as shown about its
    # centre and moved; so the probe is the reference turned back (psi = +0.3, y down)
    reference = mcc.encode(moved(probe, rotation=0.3, shift=(12.0, -7.0), drop=4))
    others = [mcc.encode(random_template(35, seed=s)) for s in (12, 13)]
    gallery = match.Gallery([others[0], reference, others[1]])
    scores, top = match.compare_many_paired(probe, gallery, 3)
    assert scores.tolist() == match.compare_many(probe, gallery).tolist()
    assert top.pairs.shape == (3, 3, 6) and top.count.tolist() == [3, 3, 3]
    aligned = flow.alignments(top.of(1))
    assert np.allclose(aligned[:, 0], 0.3, atol=1e-5)
    # reference point p lies at R(psi) p + t in the probe: check on the template centre
    c, s = math.cos(0.3), math.sin(0.3)
    cx, cy = probe.width / 2, probe.height / 2
    ref_centre = (cx + 12.0, cy - 7.0)
    for _, tx, ty in aligned.tolist():
        x = c * ref_centre[0] - s * ref_centre[1] + tx
        y = s * ref_centre[0] + c * ref_centre[1] + ty
        assert (x, y) == pytest.approx((cx, cy), abs=1e-3)
    none = match.compare_many_paired(mcc.encode(random_template(1, seed=3)), gallery, 3)[1]
    assert none.count.tolist() == [0, 0, 0] and not none.pairs.any()
