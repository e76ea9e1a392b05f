"""Complete transactions on the demo's virtual devices: the real document step (scanner MRZ,
virtual ePassport chip, Passive and Chip Authentication), the real face step (virtual camera,
dlib models, the FAISS watchlist index), the recorder and the gate — headless and in the
offscreen kiosk window."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QElapsedTimer, QTimer
from pytestqt.qtbot import QtBot

from biometrics.face.worker import EmbeddingWorker
from kiosk.demo import DemoFactory, Scenario, expected
from kiosk.traveller.flow import Screen
from kiosk.traveller.headless import HeadlessRunner
from kiosk.ui.controller import TravellerController
from kiosk.ui.i18n import Translations
from kiosk.ui.window import KioskWindow
from models.events import Outcome

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def factory(tmp_path_factory: pytest.TempPathFactory) -> DemoFactory:
    """One factory (face models loaded once) per module; each test gets its own kit."""
    return DemoFactory(tmp_path_factory.mktemp("demo"))


def _summary(outcome: Outcome, reasons: tuple[object, ...]) -> str:
    text = outcome.value
    return f"{text}: {reasons[0].value}" if reasons and outcome is not Outcome.PASS else text  # type: ignore[attr-defined]


@pytest.mark.parametrize("scenario", list(Scenario), ids=lambda s: s.value)
def test_headless_scenario_ends_as_expected(factory: DemoFactory, scenario: Scenario) -> None:
    kit = factory.build(scenario)
    try:
        runner = HeadlessRunner(kit.flow, kit.services)
        transaction = runner.run()
        decision = transaction.decision
        assert expected(scenario).startswith(_summary(decision.outcome, decision.reasons))
        # the gate opens on a pass and only then
        assert (runner.gate_openings > 0) is (decision.outcome is Outcome.PASS)
        # the event, its referral if any and the survey's new version are queued for sync
        referred = decision.outcome is not Outcome.PASS
        assert kit.store.outbox.depth() >= (3 if referred else 2)
    finally:
        kit.close()


@pytest.fixture(scope="module")
def embedder() -> Iterator[EmbeddingWorker]:
    with EmbeddingWorker() as worker:
        yield worker


@pytest.fixture
def window(qtbot: QtBot) -> Iterator[KioskWindow]:
    window = KioskWindow()
    qtbot.addWidget(window)
    return window


@pytest.mark.parametrize(
    "scenario",
    [Scenario.PASS, Scenario.FACE_MISMATCH, Scenario.TAMPERED_CHIP, Scenario.CARD_REMOVED],
    ids=lambda s: s.value,
)
def test_kiosk_window_runs_the_transaction(
    qtbot: QtBot,
    window: KioskWindow,
    factory: DemoFactory,
    embedder: EmbeddingWorker,
    scenario: Scenario,
) -> None:
    factory.models  # noqa: B018 - loaded before the window, as the demo does
    kit = factory.build(scenario, embedder=embedder)
    controller = TravellerController(window, kit.flow, kit.services, Translations())
    screens: list[str] = []
    window.screen_shown.connect(screens.append)
    clock = QElapsedTimer()
    clock.start()
    gaps: list[int] = []
    last = [clock.elapsed()]

    def beat() -> None:
        now = clock.elapsed()
        gaps.append(now - last[0])
        last[0] = now

    heart = QTimer()
    heart.setInterval(5)
    heart.timeout.connect(beat)
    heart.start()
    try:
        with qtbot.waitSignal(controller.transaction_finished, timeout=120_000) as blocker:
            window.idle.english.click()
        heart.stop()
        decision = blocker.args[0].decision
        assert expected(scenario).startswith(_summary(decision.outcome, decision.reasons))
        assert Screen.DOCUMENT.value in screens
        if scenario in (Scenario.PASS, Scenario.FACE_MISMATCH):
            assert Screen.FACE.value in screens
        final = Screen.WELCOME if decision.outcome is Outcome.PASS else Screen.SEE_OFFICER
        assert final.value in screens
        # device IO, chip crypto and face matching run on worker threads: the GUI keeps beating
        assert len(gaps) > 50
        assert max(gaps) < 50, f"GUI thread stalled {max(gaps)} ms during {scenario.value}"
    finally:
        controller.shutdown()
        kit.close()
