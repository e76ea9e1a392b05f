"""Stage names, per-stage timings and the opt-in trace sink of the face pipelines.

The default sink does nothing. A sink handed in by a developer (for example
:class:`MemoryTraceSink` while chasing a false non-match) receives each stage's
intermediate results; they stay in the caller's memory and are never logged.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol


class Stage(StrEnum):
    DETECT = "detect"
    TRACK = "track"
    LANDMARKS = "landmarks"
    QUALITY = "quality"
    ALIGN = "align"
    EMBED = "embed"


@dataclass(frozen=True, slots=True)
class TraceEvent:
    frame: int  # frame index in the live loop, 0 for stills
    stage: Stage
    data: Mapping[str, object]  # boxes, landmarks, scores, chips: debugging material only


class TraceSink(Protocol):
    def record(self, event: TraceEvent) -> None: ...


class NullTraceSink:
    """The default: records nothing."""

    def record(self, event: TraceEvent) -> None:
        return None


@dataclass
class MemoryTraceSink:
    """Keeps every event in a list (for debugging sessions and tests)."""

    events: list[TraceEvent] = field(default_factory=list)

    def record(self, event: TraceEvent) -> None:
        self.events.append(event)

    def of(self, stage: Stage) -> list[TraceEvent]:
        return [e for e in self.events if e.stage is stage]


NULL_SINK = NullTraceSink()


@dataclass
class Timings:
    """Milliseconds spent per stage (for one frame, or summed over many)."""

    ms: dict[Stage, float] = field(default_factory=dict)

    @contextmanager
    def measure(self, stage: Stage) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            elapsed = (time.perf_counter() - started) * 1000.0
            self.ms[stage] = self.ms.get(stage, 0.0) + elapsed

    @property
    def total(self) -> float:
        return sum(self.ms.values())
