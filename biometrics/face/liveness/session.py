"""One liveness check at the kiosk: the active challenge plus the passive cues, one decision.

Fed with the live pipeline's frame results (landmarks, face count) and the
grey frames; the challenge drives the prompts, the parallax cue is measured on
the head-turn frames, the spectral cue on a few good frames. The decision
follows ISO/IEC 30107 vocabulary: a presentation is classified bona fide only
when the challenge passed and no cue says "attack".
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from biometrics.face.detect import GrayImage
from biometrics.face.liveness.challenge import (
    ActiveChallenge,
    ChallengeState,
    ChallengeStatus,
    Observation,
)
from biometrics.face.liveness.parallax import ParallaxResult, parallax_cue
from biometrics.face.liveness.spectrum import SpectrumResult, spectrum_cue
from biometrics.face.params import LIVENESS, LivenessParams
from biometrics.face.pipeline import FrameResult


class PadDecision(StrEnum):
    BONA_FIDE = "bona_fide"
    ATTACK = "attack"  # a cue found an artefact: refer to an officer, log the event
    INCONCLUSIVE = "inconclusive"  # challenge failed or timed out: retry or refer


class PadReason(StrEnum):
    CHALLENGE_PASSED = "challenge_passed"
    CHALLENGE_FAILED = "challenge_failed"
    FLAT_MOTION = "flat_motion"  # the head turn moved like a flat picture
    NO_PARALLAX_MEASURED = "no_parallax_measured"  # the turn was too small to tell
    SCREEN_OR_PRINT_PATTERN = "screen_or_print_pattern"


@dataclass(frozen=True, slots=True)
class PadResult:
    decision: PadDecision
    reasons: tuple[PadReason, ...]
    challenge: ChallengeStatus
    parallax: ParallaxResult
    spectral_peaks: tuple[float, ...]


class LivenessSession:
    """Create one per traveller; call :meth:`observe` per frame until ``finished``."""

    def __init__(
        self,
        challenge: ActiveChallenge | None = None,
        params: LivenessParams = LIVENESS,
        *,
        spectrum_every: int = 5,
    ) -> None:
        self.challenge = (
            challenge if challenge is not None else ActiveChallenge.random(params=params)
        )
        self._params = params
        self._spectra: list[SpectrumResult] = []
        self._spectrum_every = spectrum_every
        self._frames = 0

    def observe(self, result: FrameResult, gray: GrayImage) -> ChallengeStatus:
        self._frames += 1
        size = (gray.shape[1], gray.shape[0])
        status = self.challenge.observe(
            Observation(result.timestamp, result.points, result.face_count, size)
        )
        if result.box is not None and self._frames % self._spectrum_every == 0:
            self._spectra.append(spectrum_cue(gray, result.box, self._params))
        return status

    @property
    def finished(self) -> bool:
        return self.challenge.status().finished

    def result(self) -> PadResult:
        return decide_pad(
            self.challenge.status(),
            parallax_cue(self.challenge.turn_frames, self.challenge.turn_yaws, self._params),
            self._spectra,
        )


def decide_pad(
    status: ChallengeStatus, parallax: ParallaxResult, spectra: list[SpectrumResult]
) -> PadResult:
    """Combine the challenge and the cues (pure; see the module doc)."""
    reasons: list[PadReason] = []
    attack = False
    if parallax.three_dimensional is False:
        reasons.append(PadReason.FLAT_MOTION)
        attack = True
    flagged = [s for s in spectra if s.suspicious]
    measured = [s for s in spectra if s.suspicious is not None]
    if measured and len(flagged) * 2 > len(measured):
        reasons.append(PadReason.SCREEN_OR_PRINT_PATTERN)
        attack = True
    passed = status.state is ChallengeState.PASSED
    reasons.insert(0, PadReason.CHALLENGE_PASSED if passed else PadReason.CHALLENGE_FAILED)
    if passed and parallax.three_dimensional is None:
        reasons.append(PadReason.NO_PARALLAX_MEASURED)
    if attack:
        decision = PadDecision.ATTACK
    elif passed and parallax.three_dimensional:
        decision = PadDecision.BONA_FIDE
    else:
        decision = PadDecision.INCONCLUSIVE
    peaks = tuple(s.peak for s in spectra if s.peak is not None)
    return PadResult(decision, tuple(reasons), status, parallax, peaks)
