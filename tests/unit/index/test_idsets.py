"""Sorted-id set operations agree with numpy's set functions."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from biometrics.index.idsets import contains, sorted_union

ids = st.lists(st.integers(min_value=-5, max_value=10**12), max_size=60)


@given(a=ids, b=ids)
def test_sorted_union_is_union1d(a: list[int], b: list[int]) -> None:
    x, y = np.array(a, dtype=np.int64), np.array(b, dtype=np.int64)
    np.testing.assert_array_equal(sorted_union(x, y), np.union1d(x, y))


@given(a=ids, b=ids)
def test_contains_is_isin_on_a_sorted_array(a: list[int], b: list[int]) -> None:
    base = np.unique(np.array(a, dtype=np.int64))
    values = np.array(b, dtype=np.int64)
    np.testing.assert_array_equal(contains(base, values), np.isin(values, base))
