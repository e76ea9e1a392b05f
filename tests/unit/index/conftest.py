"""Fixtures of the index tests: FAISS on one thread (the CI machine has two cores)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from biometrics.index import factory


@pytest.fixture(autouse=True)
def _one_faiss_thread() -> Iterator[None]:
    threads = factory.max_threads()
    factory.set_threads(1)
    yield
    factory.set_threads(threads)
