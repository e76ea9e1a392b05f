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
    from biometrics.fingerprint.dual import DualTemplate
    from biometrics.fingerprint.template import MinutiaeTemplate
    from biometrics.fingerprint.verify import FingerPolicy

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
    are stacked ``finger_chunk`` at a time and each captured finger scored against the
    stack, the 1:N rate of the matcher, same scores as pair by pair).

    The matcher is the kiosk's: ``gerbang_dual`` (both minutiae sets and the ridge flow)
    for a stored finger that holds all three when every captured finger does too and the
    policy has a ``gerbang_dual`` hit point, else the raw sets (``gerbang``: converted
    minutiae, records stored before the enhanced set). Each comparison is decided at its
    own matcher's watchlist-hit point (``FingerPolicy.watchlist_hit`` or
    ``dual_watchlist_hit``: the shipped one-finger accept, FMR 0.01%, unless the counter's
    settings hold a calibration made at that rate or stricter); a candidate reports the
    matcher of its score, ``gerbang_dual``'s when both found the person, and
    ``gerbang_dual``'s candidates come first (the two score on their own scales)."""

    def __init__(
        self,
        gallery: FaceGallery,
        *,
        threshold: float = DEDUP_THRESHOLD,
        k: int = 5,
        finger_policy: FingerPolicy | None = None,  # None: the shipped points
        # stored templates per stack (a raw and a dual stack may both be filling: their
        # decoded templates, ~80-130 KB a finger, are what memory holds at most)
        finger_chunk: int = 1000,
    ) -> None:
        if finger_chunk < 1:
            raise ValueError("finger_chunk must be at least 1")
        self.gallery = gallery
        self.threshold = threshold
        self.k = k
        self.finger_policy = finger_policy
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
        from biometrics.fingerprint import dual, match, record
        from biometrics.fingerprint.verify import SHIPPED

        policy = self.finger_policy or SHIPPED
        sets = [p for p in (record.finger_sets(f) for f in fingers) if p is not None]
        if not sets:
            return []
        dual_hit = policy.dual_watchlist_hit
        both = [p.dual for p in sets if p.dual is not None]
        if dual_hit is None or len(both) != len(sets):
            both = []  # the raw sets for every stored finger
        store = self.gallery.store
        best: dict[str, tuple[bool, float]] = {}  # subject: (gerbang_dual's, score)
        raw_chunk: tuple[list[str], list[MinutiaeTemplate]] = ([], [])
        dual_chunk: tuple[list[str], list[DualTemplate]] = ([], [])

        def keep(subjects: list[str], scores: list[float], is_dual: bool, hit: float) -> None:
            for subject, score in zip(subjects, scores, strict=True):
                if score >= hit:
                    best[subject] = max((is_dual, score), best.get(subject, (False, 0.0)))
            subjects.clear()

        def score_raw() -> None:
            subjects, references = raw_chunk
            stack = match.Gallery(references)
            scores = np.max([match.compare_many(p.raw, stack) for p in sets], axis=0)
            keep(subjects, scores.tolist(), False, policy.watchlist_hit)
            references.clear()

        def score_dual(hit: float) -> None:
            subjects, references = dual_chunk
            stack = dual.Gallery(references)
            # decided at the hit: the flow is compared only where it can reach it, and
            # every score at or above the hit is exact (dual.compare_many)
            scores = np.max([dual.compare_many(p, stack, decide_at=hit) for p in both], axis=0)
            keep(subjects, scores.tolist(), True, hit)
            references.clear()

        for _, stored in store.fingerprint_templates.iter_format(record.FORMAT):
            if not stored.subject_id:
                continue
            if both and dual_hit is not None:
                found = record.finger_sets(stored)
                if found is not None and found.dual is not None:
                    dual_chunk[0].append(stored.subject_id)
                    dual_chunk[1].append(found.dual)
                    if len(dual_chunk[1]) == self.finger_chunk:
                        score_dual(dual_hit)
                    continue
                reference = None if found is None else found.raw
            else:
                reference = record.comparable(stored)
            if reference is None:
                continue
            raw_chunk[0].append(stored.subject_id)
            raw_chunk[1].append(reference)
            if len(raw_chunk[1]) == self.finger_chunk:
                score_raw()
        if raw_chunk[1]:
            score_raw()
        if dual_chunk[1] and dual_hit is not None:
            score_dual(dual_hit)
        return [
            DuplicateCandidate(
                subject,
                "watchlist" if store.watchlist.exists(subject) else "travellers",
                "fingerprint",
                round(score, 4),
                dual.DUAL_MATCHER if is_dual else dual.RAW_MATCHER,
            )
            # gerbang_dual's candidates first, then the raw sets' (two score scales)
            for subject, (is_dual, score) in sorted(
                best.items(), key=lambda kv: kv[1], reverse=True
            )
        ]
