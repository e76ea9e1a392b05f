from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from models import codec
from models.errors import MalformedDataError
from models.settings import SyncSettings
from sync.policy import (
    KioskMode,
    OfflinePolicy,
    OfflineReason,
    PolicyDocument,
    Threshold,
    effective_policy,
)

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
POLICY = OfflinePolicy(max_days_offline=14, watchlist_stale_hours=72, max_outbox_items=1000)


def _evaluate(**kw: object) -> object:
    args: dict[str, object] = {
        "now": NOW,
        "registered": True,
        "last_sync_at": NOW - timedelta(hours=1),
        "watchlist_at": NOW - timedelta(hours=1),
        "outbox_depth": 10,
    }
    args.update(kw)
    return POLICY.evaluate(**args)  # type: ignore[arg-type]


def test_a_fresh_kiosk_serves_travellers() -> None:
    status = _evaluate()
    assert status.mode is KioskMode.NORMAL and status.reasons == () and status.warnings == ()  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("kw", "reason"),
    [
        ({"registered": False}, OfflineReason.NOT_REGISTERED),
        ({"revoked": True}, OfflineReason.REVOKED),
        ({"watchlist_at": None}, OfflineReason.NEVER_SYNCED),
        ({"last_sync_at": NOW - timedelta(days=14, seconds=1)}, OfflineReason.OFFLINE_TOO_LONG),
        ({"outbox_depth": 1001}, OfflineReason.OUTBOX_FULL),
    ],
)
def test_each_limit_degrades_to_officer_only(kw: dict[str, object], reason: OfflineReason) -> None:
    status = _evaluate(**kw)
    assert status.mode is KioskMode.OFFICER_ONLY  # type: ignore[attr-defined]
    assert reason in status.reasons  # type: ignore[attr-defined]


def test_exactly_at_the_limit_is_still_normal_and_stale_watchlist_only_warns() -> None:
    status = _evaluate(
        last_sync_at=NOW - timedelta(days=14),
        outbox_depth=1000,
        watchlist_at=NOW - timedelta(hours=73),
    )
    assert status.mode is KioskMode.NORMAL  # type: ignore[attr-defined]
    assert status.warnings == (OfflineReason.WATCHLIST_STALE,)  # type: ignore[attr-defined]
    assert status.as_json()["watchlist_age_hours"] == 73.0  # type: ignore[attr-defined]


def _doc(days: int) -> bytes:
    return codec.dumps(PolicyDocument(1, days, 24.0, 500, (Threshold("face_1to1", 0.6),)))


def test_office_document_wins_over_global_over_settings() -> None:
    settings = SyncSettings(max_days_offline=9)
    assert (
        effective_policy(settings, global_doc=None, office_doc=None, office_id="O").max_days_offline
        == 9
    )
    glob = effective_policy(settings, global_doc=_doc(5), office_doc=None, office_id="O")
    assert (glob.max_days_offline, glob.source, glob.threshold("face_1to1")) == (5, "global", 0.6)
    office = effective_policy(settings, global_doc=_doc(5), office_doc=_doc(3), office_id="O")
    assert (office.max_days_offline, office.source) == (3, "office:O")
    assert office.threshold("missing") is None


def test_a_nonsensical_policy_document_is_refused() -> None:
    with pytest.raises(MalformedDataError, match="positive"):
        OfflinePolicy.from_document(_doc(0), source="global")


def test_a_clock_set_back_before_the_last_sync_degrades_the_kiosk() -> None:
    """With the clock set back (a flat RTC battery, or on purpose), "days offline" is
    negative and the offline limit never fires: the kiosk must not trust it."""
    years_ago = NOW - timedelta(days=3 * 365)
    status = _evaluate(
        now=years_ago, last_sync_at=NOW - timedelta(days=30), watchlist_at=NOW - timedelta(days=30)
    )
    assert status.mode is KioskMode.OFFICER_ONLY  # type: ignore[attr-defined]
    assert status.reasons == (OfflineReason.CLOCK_BEHIND,)  # type: ignore[attr-defined]
    small = _evaluate(last_sync_at=NOW + timedelta(minutes=30))  # a little drift is tolerated
    assert small.mode is KioskMode.NORMAL  # type: ignore[attr-defined]
