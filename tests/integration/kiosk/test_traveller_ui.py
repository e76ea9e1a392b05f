"""End-to-end runs of the traveller kiosk shell (offscreen Qt) with scripted services."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import QElapsedTimer, QTimer
from pytestqt.qtbot import QtBot

from kiosk.traveller.facts import FaceFacts
from kiosk.traveller.flow import Screen, Timeouts, TravellerFlow
from kiosk.ui.controller import TravellerController
from kiosk.ui.i18n import Translations
from kiosk.ui.window import KioskWindow
from models.events import CheckOutcome, Outcome, ReasonCode
from models.policy import BorderPolicy
from tests.integration.kiosk.scripted import Script, ScriptedServices, specimen, with_document

pytestmark = pytest.mark.integration

FAST = Timeouts(
    document_s=5, face_s=1.0, fingerprint_s=5, decision_s=0.3, referral_s=0.3, survey_s=0.3
)


@pytest.fixture
def kiosk(qtbot: QtBot) -> Iterator[tuple[KioskWindow, ScriptedServices, TravellerController]]:
    window = KioskWindow()
    qtbot.addWidget(window)
    services = ScriptedServices(Script())
    controller = TravellerController(
        window, TravellerFlow(BorderPolicy(), timeouts=FAST), services, Translations()
    )
    yield window, services, controller
    controller.shutdown()


def run(
    qtbot: QtBot,
    kiosk: tuple[KioskWindow, ScriptedServices, TravellerController],
    script: Script,
    language: str = "en",
) -> tuple[Outcome, tuple[ReasonCode, ...]]:
    window, services, controller = kiosk
    services.script = script
    with qtbot.waitSignal(controller.transaction_finished, timeout=10_000) as blocker:
        (window.idle.english if language == "en" else window.idle.indonesian).click()
    transaction = blocker.args[0]
    qtbot.waitUntil(lambda: len(services.recorded) >= 1, timeout=5_000)
    return transaction.decision.outcome, transaction.decision.reasons


def test_a_traveller_passes_and_the_gate_opens(
    qtbot: QtBot, kiosk: tuple[KioskWindow, ScriptedServices, TravellerController]
) -> None:
    window, services, _ = kiosk
    outcome, reasons = run(qtbot, kiosk, Script())
    assert (outcome, reasons) == (Outcome.PASS, (ReasonCode.ALL_CHECKS_PASSED,))
    qtbot.waitUntil(lambda: services.gate_openings == 1, timeout=3_000)
    assert window.current is Screen.WELCOME
    assert window.welcome.title.text() == "Welcome"
    qtbot.waitUntil(lambda: window.current is Screen.SURVEY, timeout=3_000)
    window.survey.buttons[4].click()
    qtbot.waitUntil(lambda: window.current is Screen.IDLE, timeout=3_000)
    qtbot.waitUntil(lambda: len(services.surveys) == 1, timeout=3_000)
    assert services.surveys[0][1] == 5


def test_indonesian_is_used_when_chosen(
    qtbot: QtBot, kiosk: tuple[KioskWindow, ScriptedServices, TravellerController]
) -> None:
    window, _, _ = kiosk
    run(qtbot, kiosk, Script(), language="id")
    assert window.welcome.title.text() == "Selamat datang"
    assert window.officer.text() == "Panggil petugas"


@pytest.mark.parametrize(
    ("script", "reason"),
    [
        (
            Script(face=FaceFacts(True, CheckOutcome.PASSED, CheckOutcome.FAILED, 0.3, 0.6)),
            ReasonCode.FACE_MISMATCH,
        ),
        (
            Script(
                watchlist=__import__(
                    "kiosk.traveller.facts", fromlist=["WatchlistFacts"]
                ).WatchlistFacts(CheckOutcome.FAILED, 0.95, 0.7, ("wl-1",))
            ),
            ReasonCode.WATCHLIST_HIT,
        ),
        (with_document(document=specimen(expiry=date(2020, 1, 1))), ReasonCode.DOCUMENT_EXPIRED),
        (with_document(passive_authentication=CheckOutcome.FAILED), ReasonCode.PASSIVE_AUTH_FAILED),
        (Script(remove_card_at=8_000), ReasonCode.CARD_REMOVED),
        (Script(hang_face=True), ReasonCode.TIMEOUT),
    ],
    ids=["face-mismatch", "watchlist-hit", "expired", "tampered-chip", "card-pulled", "timeout"],
)
def test_referrals_never_open_the_gate(
    qtbot: QtBot,
    kiosk: tuple[KioskWindow, ScriptedServices, TravellerController],
    script: Script,
    reason: ReasonCode,
) -> None:
    window, services, controller = kiosk
    with qtbot.waitSignal(controller.staff_alert, timeout=10_000) as alert:
        outcome, reasons = run(qtbot, kiosk, script)
    assert outcome is Outcome.REFER and reasons[0] is reason
    assert alert.args[0] == reason.value
    assert window.current is Screen.SEE_OFFICER
    # the traveller's screen does not say why
    assert reason.value not in window.see_officer.message.text()
    time.sleep(0.2)
    assert services.gate_openings == 0


def test_call_an_officer_button_ends_the_transaction(
    qtbot: QtBot, kiosk: tuple[KioskWindow, ScriptedServices, TravellerController]
) -> None:
    window, services, controller = kiosk
    services.script = Script(hang_face=True)
    window.idle.english.click()
    qtbot.waitUntil(lambda: window.current is Screen.FACE, timeout=5_000)
    with qtbot.waitSignal(controller.transaction_finished, timeout=5_000) as blocker:
        window.officer.click()
    assert blocker.args[0].decision.reasons[0] is ReasonCode.OFFICER_CALLED


def test_gui_thread_never_stalls_over_50_ms(
    qtbot: QtBot, kiosk: tuple[KioskWindow, ScriptedServices, TravellerController]
) -> None:
    """A 5 ms heartbeat on the GUI thread; the longest gap during a transaction is measured."""
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
    run(qtbot, kiosk, Script(step_delay_s=0.1))
    heart.stop()
    assert len(gaps) > 20
    assert max(gaps) < 50, f"GUI thread stalled {max(gaps)} ms"


def test_screenshots_of_every_screen_in_both_languages(qtbot: QtBot, tmp_path: Path) -> None:
    from kiosk.ui.screenshots import render_all

    written = render_all(tmp_path)
    assert len(written) == 2 * len(Screen)
    for path in written:
        assert path.stat().st_size > 5_000
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_pass_that_cannot_be_stored_never_opens_the_gate(
    qtbot: QtBot, kiosk: tuple[KioskWindow, ScriptedServices, TravellerController]
) -> None:
    from models.errors import StoreError

    window, services, controller = kiosk

    def broken(_transaction: object) -> None:
        raise StoreError("disk full")

    services.record = broken  # type: ignore[method-assign]
    with qtbot.waitSignal(controller.staff_alert, timeout=10_000) as alert:
        window.idle.english.click()
    assert alert.args[0] == "device_error"
    qtbot.waitUntil(lambda: window.current is Screen.SEE_OFFICER, timeout=5_000)
    assert services.gate_openings == 0


def test_every_guidance_code_of_the_face_step_has_a_prompt(qtbot: QtBot) -> None:
    from biometrics.face.liveness.challenge import Challenge
    from biometrics.face.quality import Guidance
    from kiosk.traveller.face_step import PROMPTS
    from kiosk.ui.views.face import FaceView

    view = FaceView()
    qtbot.addWidget(view)
    sent = {PROMPTS.get(g.value, g.value) for g in Guidance} | {c.value for c in Challenge}
    assert sent - set(view.texts()) == set()


def test_passed_document_checks_are_shown_before_the_face_step(
    qtbot: QtBot, kiosk: tuple[KioskWindow, ScriptedServices, TravellerController]
) -> None:
    window, _, _ = kiosk
    shown: list[str] = []
    window.screen_shown.connect(
        lambda name: shown.append(window.document.status.text()) if name == "face" else None
    )
    run(qtbot, kiosk, Script())
    assert shown and "✓ Chip is genuine, not a copy" in shown[0]


def test_failed_document_checks_are_never_shown_to_the_traveller(
    qtbot: QtBot, kiosk: tuple[KioskWindow, ScriptedServices, TravellerController]
) -> None:
    window, _, _ = kiosk
    run(qtbot, kiosk, with_document(passive_authentication=CheckOutcome.FAILED))
    assert "✓" not in window.document.status.text()
