"""The dashboard in a real browser: Debian's headless Chromium driven by Playwright
(``executable_path``; no browser is ever downloaded), against the server on
loopback with seeded data. Sign-in, the fleet page, every report, CSV export, the
language switch, the printable monthly report, sign-out.

Screenshots go to ``$DASHBOARD_SCREENSHOTS`` when set (not a GERBANG_ variable: the test
fixtures clear those) (the docs use
``docs/screenshots/dashboard``), else to the test's temporary folder.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher

from models.roles import Role
from sync.server.config import ServerConfig
from sync.server.dashboard import users
from sync.server.dashboard.reports import REPORTS
from sync.server.runner import ThreadedServer
from tests import dashboarddata

pytestmark = [pytest.mark.integration, pytest.mark.slow]
CHROMIUM = Path("/usr/bin/chromium")
PASSWORD = "correct horse battery"  # noqa: S105 - a test account
# The pages default to the last 30 days of the real clock: the data ends now.
NOW = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


def _require_chromium() -> None:
    if not CHROMIUM.exists() or shutil.which("chromium") is None:
        if os.environ.get("CI"):
            pytest.fail("Debian's chromium is required in CI (./run setup installs it)")
        pytest.skip("chromium is not installed (apt package chromium; ./run setup installs it)")


@pytest.fixture(scope="module")
def seeded_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ThreadedServer]:
    root = tmp_path_factory.mktemp("dashboard")
    config = ServerConfig.from_key_dir(f"sqlite:///{root / 'central.db'}", root / "keys")
    with ThreadedServer(config) as server:
        dashboarddata.seed(server.central, now=NOW, days=62, per_kiosk_day=20)
        with server.central.engine.begin() as conn:
            for user_id, name, role in (
                ("sari", "Sari Wulandari", Role.SUPERVISOR),
                ("andi", "Andi Pratama", Role.ANALYST),
            ):
                users.create_user(
                    conn,
                    user_id=user_id,
                    display_name=name,
                    role=role,
                    password=PASSWORD,
                    now=NOW,
                    hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1),
                )
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield launched
        launched.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("DASHBOARD_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _sign_in(page: Any, url: str, user_id: str) -> None:
    page.goto(f"{url}/dashboard/fleet")
    assert "/dashboard/login" in page.url
    page.fill("#user", user_id)
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    page.wait_for_url("**/dashboard/fleet")


def _shot(page: Any, folder: Path, name: str) -> None:
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000


def test_supervisor_sees_fleet_reports_csv_and_switches_language(
    seeded_server: ThreadedServer, browser: Any, shots: Path
) -> None:
    url = seeded_server.url
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    violations: list[str] = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.goto(f"{url}/dashboard/login")
    _shot(page, shots, "login")
    _sign_in(page, url, "sari")
    assert page.locator("h1").inner_text() == "Armada kios"
    rows = page.locator("#fleet tbody tr")
    assert rows.count() == len(dashboarddata.KIOSKS)
    assert page.locator("#fleet tbody tr.alert").count() >= 3  # DPS-01, DPS-02, KNO-01
    assert "belum pernah melapor" in page.locator(".alerts").inner_text()
    _shot(page, shots, "fleet")

    for name in REPORTS:
        page.click(f"nav a[href='/dashboard/reports/{name}']")
        page.wait_for_url(f"**/dashboard/reports/{name}")
        assert page.locator("table.data").count() >= 1, name
        assert page.locator("table.data tbody tr").count() >= 1, name
        if name != "watchlist":
            svg = page.locator("figure.chart svg").first
            box = svg.bounding_box()
            assert box is not None and box["width"] > 300 and box["height"] > 100, name
        _shot(page, shots, f"report-{name}")

    start, end = (NOW - timedelta(days=5)).date().isoformat(), NOW.date().isoformat()
    page.goto(f"{url}/dashboard/reports/traffic?grain=hour&start={start}&end={end}")
    assert page.locator("select[name=grain]").input_value() == "hour"
    with page.expect_download() as info:
        page.click("#csv")
    download = info.value
    assert download.suggested_filename == f"gerbang-traffic-{start}-{end}.csv"
    text = Path(download.path()).read_text()
    table = list(csv.DictReader(io.StringIO(text)))
    assert table and table[0]["period"].startswith(f"{start} ")
    assert {r["kiosk_id"] for r in table} == {k for _, k in dashboarddata.KIOSKS}

    page.click("#lang-en")
    page.wait_for_url("**/dashboard/reports/traffic?**")
    assert page.locator("h1").inner_text() == "Travellers"
    assert page.locator("html").get_attribute("lang") == "en"
    page.goto(f"{url}/dashboard/fleet")
    assert page.locator("h1").inner_text() == "Kiosk fleet"
    _shot(page, shots, "fleet-en")

    month = (NOW.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")  # the last full month
    page.goto(f"{url}/dashboard/monthly?month={month}")
    assert f"Monthly report {month}" in page.locator("h1").inner_text()
    page.emulate_media(media="print")
    assert not page.locator("header.top").is_visible()  # the print stylesheet hides the menu
    _shot(page, shots, "monthly-print")
    page.emulate_media(media="screen")

    page.click("#logout")
    page.wait_for_url("**/dashboard/login")
    page.goto(f"{url}/dashboard/fleet")
    assert "/dashboard/login" in page.url
    assert violations == []  # nothing on the pages breaks the Content-Security-Policy
    context.close()


def test_analyst_does_not_see_watchlist_hits(
    seeded_server: ThreadedServer, browser: Any, shots: Path
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    _sign_in(page, seeded_server.url, "andi")
    assert page.locator("nav a[href='/dashboard/reports/watchlist']").count() == 0
    response = page.goto(f"{seeded_server.url}/dashboard/reports/watchlist")
    assert response is not None and response.status == 403
    assert page.locator("h1").inner_text() == "Tidak diizinkan"
    _shot(page, shots, "forbidden-analyst")
    context.close()
