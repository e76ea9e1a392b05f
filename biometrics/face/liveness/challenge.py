"""Active liveness challenge: a blink and a head turn, in random order, from landmarks.

A pure state machine: feed it one :class:`Observation` per frame (timestamp,
landmarks or none, number of faces) and read the :class:`ChallengeStatus` it
returns; the UI shows the prompt for ``status.current``. Time comes only from
the observations, so tests drive it with synthetic landmark sequences.

States: WAITING (no face yet) → BASELINE (a few frontal frames fix the
traveller's open-eye aspect ratio and neutral yaw) → ACTIVE (one challenge
after the other, each with a time limit) → PASSED or FAILED (with a reason).
"""

from __future__ import annotations

import random
import secrets
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from biometrics.face.geometry import Points, eye_aspect_ratio, head_pose
from biometrics.face.params import LIVENESS, LivenessParams


class Challenge(StrEnum):
    BLINK = "blink"
    TURN_LEFT = "turn_left"  # the traveller's own left (yaw > 0)
    TURN_RIGHT = "turn_right"


class ChallengeState(StrEnum):
    WAITING = "waiting"
    BASELINE = "baseline"
    ACTIVE = "active"
    PASSED = "passed"
    FAILED = "failed"


class FailReason(StrEnum):
    TIMEOUT = "timeout"
    FACE_LOST = "face_lost"
    MULTIPLE_FACES = "multiple_faces"
    WRONG_DIRECTION = "wrong_direction"


@dataclass(frozen=True, slots=True)
class Observation:
    timestamp: float  # seconds, monotonic
    points: Points | None  # 68 landmarks, None when no face was found
    face_count: int = 1
    image_size: tuple[int, int] = (640, 480)


@dataclass(frozen=True, slots=True)
class ChallengeStatus:
    state: ChallengeState
    current: Challenge | None  # what the UI should ask for now
    completed: tuple[Challenge, ...]
    reason: FailReason | None = None

    @property
    def finished(self) -> bool:
        return self.state in (ChallengeState.PASSED, ChallengeState.FAILED)


@dataclass
class _Progress:
    started: float
    closed_since: float | None = None
    turned: bool = False


@dataclass
class ActiveChallenge:
    """One challenge session. Build with :meth:`random` in production."""

    sequence: tuple[Challenge, ...]
    params: LivenessParams = LIVENESS
    state: ChallengeState = ChallengeState.WAITING
    turn_frames: list[Points] = field(default_factory=list)  # landmarks during the head turn
    turn_yaws: list[float] = field(default_factory=list)
    _completed: list[Challenge] = field(default_factory=list)
    _reason: FailReason | None = None
    _started: float | None = None
    _last_face: float | None = None
    _baseline_ear: list[float] = field(default_factory=list)
    _baseline_yaw: list[float] = field(default_factory=list)
    _progress: _Progress | None = None

    @classmethod
    def random(
        cls, rng: random.Random | None = None, params: LivenessParams = LIVENESS
    ) -> ActiveChallenge:
        """A blink and a turn to a random side, in random order (unpredictable to a replay)."""
        chooser = rng if rng is not None else secrets.SystemRandom()
        sequence = [Challenge.BLINK, chooser.choice([Challenge.TURN_LEFT, Challenge.TURN_RIGHT])]
        chooser.shuffle(sequence)
        return cls(sequence=tuple(sequence), params=params)

    @property
    def neutral_yaw(self) -> float:
        return statistics.median(self._baseline_yaw) if self._baseline_yaw else 0.0

    def status(self) -> ChallengeStatus:
        index = len(self._completed)
        current = (
            self.sequence[index]
            if self.state is ChallengeState.ACTIVE and index < len(self.sequence)
            else None
        )
        return ChallengeStatus(self.state, current, tuple(self._completed), self._reason)

    def observe(self, obs: Observation) -> ChallengeStatus:
        if self.status().finished:
            return self.status()
        if self._started is None and obs.points is not None:
            self._started = obs.timestamp
        if (
            self._started is not None
            and obs.timestamp - self._started > self.params.total_timeout_s
        ):
            return self._fail(FailReason.TIMEOUT)
        if obs.face_count > 1:
            return self._fail(FailReason.MULTIPLE_FACES)
        if obs.points is None:
            lost_for = obs.timestamp - (
                self._last_face if self._last_face is not None else obs.timestamp
            )
            if self.state is ChallengeState.ACTIVE and lost_for > self.params.face_lost_s:
                return self._fail(FailReason.FACE_LOST)
            return self.status()
        self._last_face = obs.timestamp
        ear = statistics.fmean(eye_aspect_ratio(obs.points))
        yaw = head_pose(obs.points, obs.image_size).yaw
        if self.state in (ChallengeState.WAITING, ChallengeState.BASELINE):
            self._collect_baseline(ear, yaw, obs.timestamp)
            return self.status()
        return self._advance(obs, ear, yaw)

    def _collect_baseline(self, ear: float, yaw: float, now: float) -> None:
        self.state = ChallengeState.BASELINE
        if abs(yaw) > self.params.baseline_max_yaw:
            return
        self._baseline_ear.append(ear)
        self._baseline_yaw.append(yaw)
        if len(self._baseline_ear) >= self.params.baseline_frames:
            self.state = ChallengeState.ACTIVE
            self._progress = _Progress(started=now)

    def _advance(self, obs: Observation, ear: float, yaw: float) -> ChallengeStatus:
        assert self._progress is not None  # noqa: S101 - set when ACTIVE begins
        p = self.params
        now = obs.timestamp
        if now - self._progress.started > p.challenge_timeout_s:
            return self._fail(FailReason.TIMEOUT)
        challenge = self.sequence[len(self._completed)]
        done = False
        if challenge is Challenge.BLINK:
            done = self._blink_step(ear, now)
        else:
            outcome = self._turn_step(challenge, yaw - self.neutral_yaw, obs.points, yaw)
            if outcome is FailReason.WRONG_DIRECTION:
                return self._fail(outcome)
            done = outcome is True
        if done:
            self._completed.append(challenge)
            if len(self._completed) == len(self.sequence):
                self.state = ChallengeState.PASSED
            else:
                self._progress = _Progress(started=now)
        return self.status()

    def _blink_step(self, ear: float, now: float) -> bool:
        assert self._progress is not None  # noqa: S101
        open_ear = statistics.median(self._baseline_ear)
        progress = self._progress
        if ear < open_ear * self.params.blink_closed_ratio:
            if progress.closed_since is None:
                progress.closed_since = now
            return False
        if progress.closed_since is not None and ear > open_ear * self.params.blink_open_ratio:
            closed_for = now - progress.closed_since
            progress.closed_since = None
            return closed_for <= self.params.blink_max_closed_s
        return False

    def _turn_step(
        self, challenge: Challenge, relative_yaw: float, points: Points | None, yaw: float
    ) -> bool | FailReason:
        assert self._progress is not None  # noqa: S101
        p = self.params
        wanted = 1.0 if challenge is Challenge.TURN_LEFT else -1.0
        if points is not None:
            self.turn_frames.append(points)
            self.turn_yaws.append(yaw)
        if relative_yaw * -wanted >= p.turn_degrees:
            return FailReason.WRONG_DIRECTION
        if relative_yaw * wanted >= p.turn_degrees:
            self._progress.turned = True
            return False
        return self._progress.turned and abs(relative_yaw) <= p.return_degrees

    def _fail(self, reason: FailReason) -> ChallengeStatus:
        self.state = ChallengeState.FAILED
        self._reason = reason
        return self.status()


def run_challenge(
    challenge: ActiveChallenge, observations: Sequence[Observation]
) -> ChallengeStatus:
    """Feed a whole sequence (tests, replays of recorded landmark traces)."""
    status = challenge.status()
    for obs in observations:
        status = challenge.observe(obs)
        if status.finished:
            break
    return status
