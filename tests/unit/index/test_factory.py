"""Factory strings: parsing, the choice by size, and describe() of built indexes."""

from __future__ import annotations

import numpy as np
import pytest

from biometrics.index import IndexDataError, Metric
from biometrics.index import factory as fac
from biometrics.index.factory import Family
from biometrics.index.records import no_progress

FACTORIES = [
    "IDMap2,Flat",
    "IVF16,SQ8",
    "IVF16,SQfp16",
    "IVF16,Flat",
    "IVF16,PQ8x4fs,Refine(SQfp16)",
    "IVF16,PQ8x4fs,Refine(Flat)",
    "HNSW8,Flat",
    "HNSW8,SQ8",
]


@pytest.mark.parametrize("text", FACTORIES)
def test_built_index_describes_as_its_factory(text: str) -> None:
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((600, 16)).astype(np.float32)
    ids = np.arange(10, 610, dtype=np.int64)
    index = fac.build(text, 16, Metric.L2, ids, vectors, progress=no_progress)
    assert fac.describe(index) == fac.parse(text).text
    assert index.ntotal == 600


def test_hnsw_without_encoding_is_canonicalised() -> None:
    assert fac.parse("HNSW32").text == "HNSW32,Flat"
    assert fac.parse("HNSW32").positional


@pytest.mark.parametrize(
    "text", ["Flat", "IDMap,Flat", "IVF0,SQ8", "IVF16,PQ8", "HNSW32,PQ8", "IVF16,SQ8;rm -rf", ""]
)
def test_unsupported_factories_are_refused(text: str) -> None:
    with pytest.raises(IndexDataError):
        fac.parse(text)


def test_choice_by_size_is_exact_then_ivf_pq_refine() -> None:
    assert fac.choose(10_000, 128) == "IDMap2,Flat"
    assert fac.choose(100_000, 128) == "IDMap2,Flat"
    big = fac.parse(fac.choose(1_000_000, 128))
    assert big.family is Family.IVF_PQ_REFINE
    assert big.pq_m == 64 and big.encoding == "SQfp16"
    assert fac.parse(fac.choose(4_000_000, 128)).nlist > big.nlist
    # An odd dimension still gets a PQ that divides it.
    odd = fac.parse(fac.choose(1_000_000, 150))
    assert 150 % odd.pq_m == 0


def test_fit_falls_back_to_exact_when_too_small_to_train() -> None:
    assert fac.fit("IVF1024,PQ64x4fs,Refine(SQfp16)", 500) == "IDMap2,Flat"
    assert fac.fit("HNSW16,SQ8", 0) == "IDMap2,Flat"
    assert fac.fit("HNSW16", 10) == "HNSW16,Flat"


def test_capabilities() -> None:
    assert fac.parse("IDMap2,Flat").can_remove
    assert fac.parse("IVF8,SQ8").can_remove
    assert not fac.parse("HNSW8,SQ8").can_remove
    assert not fac.parse("IVF8,PQ8x4fs,Refine(SQfp16)").can_remove


def test_remove_on_a_graph_is_refused() -> None:
    vectors = np.random.default_rng(1).standard_normal((50, 8)).astype(np.float32)
    spec = fac.parse("HNSW4,Flat")
    index = fac.build(
        spec.text, 8, Metric.L2, np.arange(50, dtype=np.int64), vectors, progress=no_progress
    )
    with pytest.raises(IndexDataError):
        fac.remove(index, spec, np.array([3], dtype=np.int64))
