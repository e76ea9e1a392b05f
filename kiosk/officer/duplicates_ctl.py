"""Possible duplicates controller: the supervisor's queue over :class:`DuplicateReview`."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal, Slot

from enrollment.review import DuplicateReview
from kiosk.officer.duplicates import DuplicatesView
from models.errors import GerbangError
from models.roles import Principal


class DuplicatesController(QObject):
    decided = Signal(str, str)  # enrollment id, new status
    error = Signal(str)

    def __init__(
        self,
        view: DuplicatesView,
        review: DuplicateReview,
        principal: Callable[[], Principal | None],
    ) -> None:
        super().__init__(view)
        self.view = view
        self.review = review
        self.principal = principal
        view.selected.connect(self._select)
        view.decided.connect(self._decide)

    def _fail(self, exc: GerbangError) -> None:
        self.view.message.setText(exc.message)
        self.error.emit(exc.code)

    def refresh(self) -> None:
        actor = self.principal()
        if actor is None:
            return
        try:
            held = self.review.held(actor)
        except GerbangError as exc:
            self.view.show_held([])
            self._fail(exc)
            return
        self.view.show_held(
            [
                (e.enrollment_id, f"{e.enrolled_at:%Y-%m-%d %H:%M} · {e.officer_id} · "
                 f"{e.enrollment_id[:8]}")
                for e in held
            ]
        )  # fmt: skip
        self.view.message.setText("" if held else self.tr("No enrollment is waiting."))

    @Slot(str)
    def _select(self, enrollment_id: str) -> None:
        actor = self.principal()
        if actor is None:
            return
        try:
            case = self.review.case(enrollment_id, actor)
        except GerbangError as exc:
            self._fail(exc)
            return
        first = case.candidates[0][1] if case.candidates else None
        self.view.show_case(
            case.face.data if case.face else None,
            first.data if first else None,
            [f"{c.gallery} · {c.subject_id[:8]} · {c.score:.3f}" for c, _ in case.candidates],
        )
        self.view.message.setText(case.name)

    @Slot(str, bool, str)
    def _decide(self, enrollment_id: str, same: bool, note: str) -> None:
        actor = self.principal()
        if actor is None:
            return
        try:
            decided = self.review.decide(enrollment_id, actor, same_person=same, note=note)
        except GerbangError as exc:
            self._fail(exc)
            return
        self.refresh()
        self.decided.emit(enrollment_id, decided.status.value)
