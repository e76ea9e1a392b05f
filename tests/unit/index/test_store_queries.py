"""The store queries a gallery needs: per-kind counts, row ids and (row id, template) pages."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from models.biometric import FingerPosition, FingerprintTemplate, SampleSource
from models.store import Store
from tests.factories import NOW, face_template


def test_face_gallery_queries_only_see_their_algorithm(store: Store) -> None:
    assert store.face_templates.algorithm_stats("dlib-resnet-v1") == (0, 0)
    rows = [store.face_templates.add(face_template(f"ft-{n}", seed=n)) for n in range(5)]
    other = replace(face_template("other", seed=9), algorithm="another-model")
    other_row = store.face_templates.add(other)
    store.face_templates.delete("ft-1")
    assert store.face_templates.algorithm_stats("dlib-resnet-v1") == (4, rows[-1])
    assert store.face_templates.algorithm_row_ids("dlib-resnet-v1") == [rows[0], *rows[2:]]
    assert store.face_templates.algorithm_row_ids("another-model") == [other_row]
    pairs = list(store.face_templates.iter_algorithm("dlib-resnet-v1"))
    assert [r for r, _ in pairs] == [rows[0], *rows[2:]]
    np.testing.assert_array_equal(pairs[0][1].as_array(), face_template("ft-0", seed=0).as_array())
    assert len(list(store.face_templates)) == 5  # plain iteration still sees every row


def test_fingerprint_gallery_queries_select_by_format(store: Store) -> None:
    def template(tid: str, fmt: str) -> FingerprintTemplate:
        return FingerprintTemplate(
            tid, "t", FingerPosition.LEFT_THUMB, fmt, b"x", 0, NOW, SampleSource.IMPORT
        )

    a = store.fingerprint_templates.add(template("a", "desc-v1"))
    store.fingerprint_templates.add(template("b", "iso19794-2:2005"))
    c = store.fingerprint_templates.add(template("c", "desc-v1"))
    assert store.fingerprint_templates.format_stats("desc-v1") == (2, c)
    assert store.fingerprint_templates.format_row_ids("desc-v1") == [a, c]
    assert [t.template_id for _, t in store.fingerprint_templates.iter_format("desc-v1")] == [
        "a",
        "c",
    ]
