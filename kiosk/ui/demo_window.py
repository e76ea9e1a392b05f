"""The demo in the kiosk window: windowed on a screen, or offscreen driven automatically."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from biometrics.face.worker import EmbeddingWorker
from kiosk.demo import DemoFactory, Scenario, expected
from kiosk.traveller.flow import Screen
from kiosk.ui.controller import TravellerController
from kiosk.ui.i18n import Translations
from kiosk.ui.window import KioskWindow

OFFSCREEN_LIMIT_MS = 180_000  # a demo transaction that has not ended by then is a failure


def run_window(factory: DemoFactory, scenario: Scenario, *, offscreen: bool) -> dict[str, Any]:
    qt = QApplication.instance() or QApplication([])
    factory.models  # noqa: B018 - load the face models before the window opens (about 1.5 s)
    embedder = EmbeddingWorker()
    embedder.start()  # dlib's long calls in a child process: the GUI thread never waits
    kit = factory.build(scenario, embedder=embedder)
    window = KioskWindow()
    controller = TravellerController(window, kit.flow, kit.services, Translations())
    shots = kit.root / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    seen: list[str] = []
    finished: list[Any] = []

    def on_screen(name: str) -> None:
        if seen and seen[-1] == name:
            return
        seen.append(name)
        if offscreen and name != Screen.FACE.value:  # the face screen: once frames show
            path = shots / f"{len(seen):02d}-{name}.png"
            window.grab().save(str(path))
        if offscreen and name == Screen.SURVEY.value:
            QTimer.singleShot(300, window.survey.buttons[4].click)
        if offscreen and name == Screen.IDLE.value and finished:
            QTimer.singleShot(200, qt.quit)

    frames: list[int] = []

    def on_frame() -> None:
        frames.append(1)
        if offscreen and len(frames) == 1 and seen and seen[-1] == Screen.FACE.value:
            window.grab().save(str(shots / f"{len(seen):02d}-{Screen.FACE.value}.png"))

    window.screen_shown.connect(on_screen)
    window.face.frame_shown.connect(on_frame)
    controller.transaction_finished.connect(finished.append)
    if offscreen:
        window.resize(1280, 1024)
        QTimer.singleShot(300, window.idle.english.click)
        QTimer.singleShot(OFFSCREEN_LIMIT_MS, qt.quit)
    window.show()
    try:
        qt.exec()
    finally:
        controller.shutdown()
        kit.close()
        embedder.close()
    if not finished:
        raise RuntimeError("the demo transaction did not finish")
    transaction = finished[-1]
    return {
        "scenario": scenario.value,
        "expected": expected(scenario),
        "outcome": transaction.decision.outcome.value,
        "reasons": [r.value for r in transaction.decision.reasons],
        "checks": {c.name: c.outcome.value for c in transaction.checks},
        "event_id": transaction.transaction_id,
        "screens": seen,
        "screenshots": [str(p) for p in sorted(shots.glob("*.png"))] if offscreen else [],
    }
