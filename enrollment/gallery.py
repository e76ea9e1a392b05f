"""The face gallery as the officer workflows use it: update after a commit, search 1:N.

Wraps a :class:`~biometrics.index.BiometricIndex` over the store's face
templates. Scores: the index gives Euclidean distances of unit embeddings; the
officer workflows speak cosine similarity (``1 - d²/2``), the score of
``biometrics.face.verify.compare``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from biometrics.face.params import VERIFICATION
from biometrics.index import FACE_GALLERY, BiometricIndex, StoreGallerySource
from enrollment.session import DuplicateCandidate
from models.biometric import FaceTemplate, FingerprintTemplate
from models.store import Store
from models.watchlist import WatchlistEntry

if TYPE_CHECKING:
    from biometrics.fingerprint.template import MinutiaeTemplate

# A possible duplicate at the counter: the verification policy's "reject" threshold
# (FMR 1% on casia_facev5 + lfw_gray): above it, the faces are not called different,
# so a supervisor compares them side by side (docs/officer.md).
DEDUP_THRESHOLD = VERIFICATION.reject


class FaceGallery:
    def __init__(self, store: Store, index: BiometricIndex, source: StoreGallerySource) -> None:
        self.store = store
        self.index = index
        self.source = source

    @classmethod
    def open(cls, store: Store, directory: Path, key: bytes) -> FaceGallery:
        """Open (or build, or repair) the persisted face index of the kiosk."""
        source = StoreGallerySource(store, FACE_GALLERY)
        return cls(store, BiometricIndex.open(source, directory, key), source)

    @classmethod
    def in_memory(cls, store: Store) -> FaceGallery:
        source = StoreGallerySource(store, FACE_GALLERY)
        return cls(store, BiometricIndex.build(source), source)

    def __call__(
        self,
        *,
        templates: Sequence[str] = (),
        removed_rows: Sequence[int] = (),
        watchlist: Sequence[WatchlistEntry] = (),
        removed_entries: Sequence[str] = (),
    ) -> None:
        """Apply changes already committed to the store (the watchlist's GalleryUpdate)."""
        batch = self.source.changes(
            templates=templates,
            removed_rows=removed_rows,
            watchlist=watchlist,
            removed_entries=removed_entries,
        )
        self.index.apply(batch)

    def add_rows(self, face_rows: list[int], _finger_rows: list[int]) -> None:
        """The enrollment's IndexUpdate: new face template rows (fingerprints have no gallery yet)."""
        ids = [self.store.face_templates.get_by_row_id(r).template_id for r in face_rows]
        self(templates=ids)

    def search(self, vector: npt.NDArray[np.float32], k: int = 5) -> list[tuple[int, float]]:
        """(row id, cosine similarity) of the ``k`` nearest faces, best first."""
        hits = self.index.search(np.asarray(vector, np.float32), k)
        return [(h.row_id, 1.0 - (h.score * h.score) / 2.0) for h in hits]

    def close(self) -> None:
        self.index.close()


class GalleryDeduplicator:
    """1:N de-duplication against the local galleries (enrolled travellers and watchlist):
    the face through the FAISS face gallery, each captured finger against every stored
    finger template of our matcher (exhaustive: a counter's gallery; the stored templates
    are stacked ``finger_chunk`` at a time into a ``match.Gallery`` and each captured
    finger scored against the stack, the 1:N rate of the matcher, ~2x comparing pair by
    pair, same scores), a hit at ``finger_threshold``: the kiosk's watchlist-hit point
    (``FingerPolicy.watchlist_hit``: the shipped one-finger accept, FMR 0.01%, unless
    the counter's settings hold a calibration made at that rate or stricter)."""

    def __init__(
        self,
        gallery: FaceGallery,
        *,
        threshold: float = DEDUP_THRESHOLD,
        k: int = 5,
        finger_threshold: float | None = None,
        finger_chunk: int = 1000,  # stored templates per stack: ~75 MB of cylinders at most
    ) -> None:
        if finger_chunk < 1:
            raise ValueError("finger_chunk must be at least 1")
        self.gallery = gallery
        self.threshold = threshold
        self.k = k
        self.finger_threshold = finger_threshold
        self.finger_chunk = finger_chunk

    def candidates(
        self, face: FaceTemplate | None, fingers: Sequence[FingerprintTemplate]
    ) -> list[DuplicateCandidate]:
        store = self.gallery.store
        found = self._fingers(fingers)
        if face is None:
            return found
        for row_id, score in self.gallery.search(face.as_array(), self.k):
            if score < self.threshold:
                continue
            template = store.face_templates.get_by_row_id(row_id)
            subject = template.subject_id or ""
            kind = "watchlist" if store.watchlist.exists(subject) else "travellers"
            found.append(DuplicateCandidate(subject, kind, "face", round(score, 4)))
        return found

    def _fingers(self, fingers: Sequence[FingerprintTemplate]) -> list[DuplicateCandidate]:
        from biometrics.fingerprint import match, record
        from biometrics.fingerprint.params import VERIFICATION

        hit = VERIFICATION.accept if self.finger_threshold is None else self.finger_threshold
        probes = [p for p in (record.comparable(f) for f in fingers) if p is not None]
        if not probes:
            return []
        store = self.gallery.store
        best: dict[str, float] = {}
        subjects: list[str] = []
        references: list[MinutiaeTemplate] = []

        def score_chunk() -> None:
            stack = match.Gallery(references)
            scores = np.max([match.compare_many(probe, stack) for probe in probes], axis=0)
            for subject, score in zip(subjects, scores.tolist(), strict=True):
                if score >= hit:
                    best[subject] = max(score, best.get(subject, 0.0))
            subjects.clear()
            references.clear()

        for _, stored in store.fingerprint_templates.iter_format(record.FORMAT):
            reference = record.comparable(stored)
            if reference is None or not stored.subject_id:
                continue
            subjects.append(stored.subject_id)
            references.append(reference)
            if len(references) == self.finger_chunk:
                score_chunk()
        if references:
            score_chunk()
        return [
            DuplicateCandidate(
                subject,
                "watchlist" if store.watchlist.exists(subject) else "travellers",
                "fingerprint",
                round(score, 4),
            )
            for subject, score in sorted(best.items(), key=lambda kv: -kv[1])
        ]
