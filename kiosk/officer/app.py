"""Wiring of the officer window: its controllers over the store, the face engine and gallery."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from enrollment.accounts import Accounts
from enrollment.counter import CounterEnrollment, FingerEngine
from enrollment.counter_devices import CounterDevices
from enrollment.faces import FaceEngine
from enrollment.gallery import FaceGallery, GalleryDeduplicator
from enrollment.referrals import ReferralReview
from enrollment.review import DuplicateReview
from enrollment.watchlist import WatchlistManager
from kiosk.officer.controller import OfficerController
from kiosk.officer.duplicates_ctl import DuplicatesController
from kiosk.officer.enrollment_ctl import Chooser, EnrollmentController, file_dialog
from kiosk.officer.watchlist_ctl import FilesChooser, WatchlistController, files_dialog
from kiosk.officer.window import OfficerWindow
from models.audit import AuditLog
from models.roles import Principal
from models.store import Store

if TYPE_CHECKING:
    from biometrics.fingerprint.verify import FingerPolicy


@dataclass
class OfficerApp:
    window: OfficerWindow
    officer: OfficerController
    enrollment: EnrollmentController
    watchlist: WatchlistController
    duplicates: DuplicatesController

    def stop(self) -> None:
        self.enrollment.stop()
        self.watchlist.stop()


def build_officer_app(
    window: OfficerWindow,
    store: Store,
    audit: AuditLog,
    accounts: Accounts,
    faces: FaceEngine,
    gallery: FaceGallery,
    *,
    office_id: str,
    kiosk_id: str,
    fingers: FingerEngine | None = None,
    choose_file: Chooser = file_dialog,
    choose_files: FilesChooser = files_dialog,
    devices: CounterDevices | None = None,
    finger_policy: FingerPolicy | None = None,
) -> OfficerApp:
    officer = OfficerController(window, accounts, ReferralReview(store, audit))

    def make_counter(principal: Principal) -> CounterEnrollment:
        return CounterEnrollment(
            store,
            audit,
            faces,
            GalleryDeduplicator(gallery, finger_policy=finger_policy),
            principal,
            fingers=fingers,
            index_update=gallery.add_rows,
            office_id=office_id,
            kiosk_id=kiosk_id,
        )

    enrollment = EnrollmentController(
        window.enrollment,
        make_counter,
        accounts,
        lambda: officer.principal,
        choose=choose_file,
        devices=devices,
    )
    manager = WatchlistManager(store, audit, faces, gallery=gallery)
    watchlist = WatchlistController(
        window.watchlist, manager, lambda: officer.principal, choose=choose_files
    )

    def on_screen(screen: object) -> None:
        if screen is window.watchlist:
            watchlist.refresh()
        elif screen is window.duplicates:
            duplicates.refresh()
        elif screen is window.login:
            enrollment.restart()

    review = DuplicateReview(
        store,
        audit,
        GalleryDeduplicator(gallery, finger_policy=finger_policy),
        index_update=gallery.add_rows,
    )
    duplicates = DuplicatesController(window.duplicates, review, lambda: officer.principal)
    officer.screen_changed.connect(on_screen)
    return OfficerApp(window, officer, enrollment, watchlist, duplicates)
