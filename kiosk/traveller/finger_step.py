"""The fingerprint step of a traveller transaction (Qt-free, runs on the worker thread).

Each asked finger is captured on the scanner and its template extracted (NFIQ 2
quality, mindtct minutiae, cylinders). A print too poor to use is a *retry*
(the flow allows three attempts). Then:

- 1:1: when the traveller is enrolled, each finger is compared with the enrolled
  template of the same position; two fingers are decided on their summed score
  (the fused operating points of :mod:`biometrics.fingerprint.params`), one
  finger on its own score. A capture carries two minutiae sets (mindtct on the
  raw and on the Gabor-enhanced print) and the ridge flow; when every enrolled
  finger compared holds all three too (records stored since the flow is
  stored), the scores are ``gerbang_dual``'s with its own operating points, else
  the raw sets' (``biometrics.fingerprint.dual.score_pairs``);
- 1:N: every finger is searched in the fingerprint gallery of the watchlist
  entries active now (:mod:`kiosk.traveller.watchlist_fingers`: built once per
  watchlist change; exhaustive below ``IndexParams.exhaustive_below`` references
  (``dual_exhaustive_below`` for a ``gerbang_dual`` gallery),
  the FAISS candidate index of ``biometrics.fingerprint.index1n`` above); a score
  at or above the one-finger accept threshold (FMR 0.01%) is a hit. When every
  watchlist finger holds both sets and the flow (entries enrolled or imported
  from images) and so does every probe, the search is ``gerbang_dual``'s, at its
  own one-finger accept point (``FingerPolicy.dual_watchlist_hit``); otherwise
  the raw sets', for all probes alike.

The operating points come in as a :class:`~biometrics.fingerprint.verify.FingerPolicy`:
the technician's calibration (``[calibration.fingerprint]``) when saved, else the
shipped ``VERIFICATION``/``FUSION`` of :mod:`biometrics.fingerprint.params`; its
``watchlist_hit`` (the one-finger accept point) is the 1:N hit threshold.

Templates stored in our format (ISO 19794-2) are compared, including the
minutiae imported from partner agencies (Type-9, INCITS 378, ISO records are
converted at import). A Type-9 record kept as imported (older imports) is
converted when compared (``record.comparable``); one with too few minutiae
for our matcher, or that does not convert, is counted as ``skipped``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from biometrics.fingerprint import record
from biometrics.fingerprint.dual import DUAL_MATCHER, RAW_MATCHER, FingerSets, score_pairs
from biometrics.fingerprint.errors import FingerprintError
from biometrics.fingerprint.template import MinutiaeTemplate
from biometrics.fingerprint.verify import SHIPPED, Decision, FingerPolicy, decide, decide_fused
from devices.base import FingerprintScanner, Retry
from kiosk.traveller.facts import FingerprintFacts, WatchlistFacts
from kiosk.traveller.services import Cancelled, FingerprintOutcome
from kiosk.traveller.watchlist_fingers import WatchlistFingers
from models.biometric import FingerPosition
from models.events import CheckOutcome
from models.store import Store

log = logging.getLogger(__name__)

MIN_QUALITY = 20  # NFIQ 2 (or fallback) below this: ask for the finger again
LOW_QUALITY = "low_quality"


@dataclass
class Enrolled:
    """What the store holds for one document's traveller: comparable fingers by position."""

    traveller_id: str | None = None
    fingers: dict[FingerPosition, FingerSets] = field(default_factory=dict)


class FingerStep:
    def __init__(
        self,
        scanner: FingerprintScanner,
        store: Store,
        *,
        timeout_s: float = 15.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        policy: FingerPolicy = SHIPPED,
        watchlist: WatchlistFingers | None = None,
    ) -> None:
        self.scanner = scanner
        self.store = store
        self.timeout_s = timeout_s
        self.policy = policy
        self.clock = clock
        self.watchlist = watchlist or WatchlistFingers(store, clock)
        self.timings: dict[str, float] = {}

    # ------------------------------------------------------------------ enrolment
    def enrolled(self, issuing_state: str, document_number: str) -> Enrolled:
        """The active enrollment of the document's holder, with its comparable fingers."""
        if self.store.documents.find(issuing_state, document_number) is None:
            return Enrolled()  # never enrolled here (the blind index says so cheaply)
        for enrollment in reversed(self.store.enrollments.active_for_document(document_number)):
            fingers: dict[FingerPosition, FingerSets] = {}
            for template_id in enrollment.fingerprint_template_ids:
                stored = self.store.fingerprint_templates.get(template_id)
                usable = record.finger_sets(stored)
                if usable is not None:
                    fingers[stored.position] = usable
            return Enrolled(enrollment.traveller_id, fingers)
        return Enrolled()

    # ------------------------------------------------------------------ the step
    def run(
        self,
        positions: tuple[FingerPosition, ...],
        enrolled: Enrolled,
        cancelled: Cancelled,
    ) -> FingerprintOutcome:
        self.timings = {}
        started = time.perf_counter()
        enhanced = self._dual_possible(positions, enrolled) or self._watchlist_dual()
        probes: dict[FingerPosition, FingerSets] = {}
        qualities: list[float] = []
        for position in positions:
            if cancelled():
                return FingerprintOutcome(None, None, retry="cancelled")
            got = self.scanner.capture(position, self.timeout_s)
            if isinstance(got, Retry):
                return FingerprintOutcome(None, None, retry=got.reason.value)
            try:
                extraction = record.extract_pixels(got.image, ppi=float(got.ppi), enhanced=enhanced)
            except FingerprintError:
                return FingerprintOutcome(None, None, retry=LOW_QUALITY)
            if extraction.too_few_minutiae or extraction.quality.score < MIN_QUALITY:
                return FingerprintOutcome(None, None, retry=LOW_QUALITY)
            probes[position] = FingerSets(extraction.template, extraction.enhanced, extraction.flow)
            qualities.append(float(extraction.quality.score))
        self._lap("capture", started)
        started = time.perf_counter()
        facts = self._verify(probes, enrolled, tuple(qualities))
        self._lap("verify", started)
        started = time.perf_counter()
        watchlist = self.search_watchlist(list(probes.values()))
        self._lap("watchlist_search", started)
        return FingerprintOutcome(facts, watchlist)

    def _dual_possible(self, positions: tuple[FingerPosition, ...], enrolled: Enrolled) -> bool:
        """Whether the enhanced set can decide (see ``score_pairs``): the policy has dual
        points and every enrolled finger to compare holds both sets and the flow. Otherwise
        it is not
        extracted (74-147 ms a finger saved; 1:N compares the raw sets)."""
        compared = [enrolled.fingers[p] for p in positions if p in enrolled.fingers]
        return self.policy.dual and bool(compared) and all(f.dual is not None for f in compared)

    def _watchlist_dual(self) -> bool:
        """Whether the watchlist's gallery is ``gerbang_dual``'s (then the probes need
        their enhanced set too). A failing build is left to the search to report."""
        if self.policy.dual_watchlist_hit is None:
            return False
        try:
            return self.watchlist.current(self.clock()).gallery.dual
        except Exception:  # raised again by search_watchlist, as before this check
            log.warning("watchlist fingerprint gallery unavailable before capture", exc_info=True)
            return False

    def _lap(self, name: str, started: float) -> None:
        self.timings[name] = (time.perf_counter() - started) * 1000

    def _verify(
        self,
        probes: dict[FingerPosition, FingerSets],
        enrolled: Enrolled,
        qualities: tuple[float, ...],
    ) -> FingerprintFacts:
        pairs = [(probes[p], enrolled.fingers[p]) for p in probes if p in enrolled.fingers]
        if not pairs:
            return FingerprintFacts(True, CheckOutcome.NOT_RUN, qualities=qualities)
        policy = self.policy
        scored = score_pairs(pairs, allow_dual=policy.dual)
        scores = list(scored.scores)
        fusion, verification = policy.fusion, policy.verification
        if scored.dual and policy.dual_fusion and policy.dual_verification:
            fusion, verification = policy.dual_fusion, policy.dual_verification
        if len(scores) == fusion.fingers:
            fused = decide_fused(scores, fusion)
            decision, score, threshold = fused.decision, fused.score, fusion.sum_accept
        else:
            score = max(scores)
            decision, threshold = decide(score, verification), verification.accept
        match = CheckOutcome.PASSED if decision is Decision.MATCH else CheckOutcome.FAILED
        return FingerprintFacts(True, match, score, threshold, qualities, scored.matcher)

    def search_watchlist(self, probes: list[FingerSets | MinutiaeTemplate]) -> WatchlistFacts:
        """Every probe against the comparable fingerprints of the active watchlist, all
        with one matcher (``gerbang_dual`` when the gallery and every probe allow it)."""
        best: float | None = None
        hits: list[str] = []
        built = self.watchlist.current(self.clock())
        dual_hit = self.policy.dual_watchlist_hit
        use_dual = (
            dual_hit is not None
            and bool(probes)
            and all(built.gallery.uses_dual(p) for p in probes)
        )
        threshold = dual_hit if use_dual and dual_hit is not None else self.policy.watchlist_hit
        for probe in probes:
            found = built.gallery.search(
                probe, dual_allowed=use_dual, decide_at=threshold if use_dual else None
            )
            for hit in found:
                best = hit.score if best is None else max(best, hit.score)
                entry_id = built.entries[hit.reference]
                if hit.score >= threshold and entry_id not in hits:
                    hits.append(entry_id)
        if built.skipped:
            log.info("watchlist fingerprints not comparable", extra={"count": built.skipped})
        outcome = CheckOutcome.FAILED if hits else CheckOutcome.PASSED
        matcher = DUAL_MATCHER if use_dual else RAW_MATCHER
        return WatchlistFacts(outcome, best, threshold, tuple(hits), matcher)
