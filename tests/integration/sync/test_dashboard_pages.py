"""The dashboard over HTTP on loopback (SQLite and PostgreSQL): sign-in with CSRF,
roles, sessions, every page, CSV, the language switch, the security headers."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

import httpx
import pytest
from argon2 import PasswordHasher

from models.roles import Role
from sync.server.dashboard import users
from sync.server.dashboard.reports import REPORTS
from sync.server.hardening import CONTENT_SECURITY_POLICY
from sync.server.runner import ThreadedServer
from tests import dashboarddata

pytestmark = pytest.mark.integration
FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
PASSWORD = "correct horse battery"  # noqa: S105 - a test account


def _user(server: ThreadedServer, user_id: str, role: Role) -> None:
    with server.central.engine.begin() as conn:
        users.create_user(
            conn,
            user_id=user_id,
            display_name=user_id.title(),
            role=role,
            password=PASSWORD,
            now=datetime.now(UTC),
            hasher=FAST,
        )


def _login(http: httpx.Client, user_id: str, password: str = PASSWORD) -> httpx.Response:
    page = http.get("/dashboard/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf is not None
    return http.post(
        "/dashboard/login",
        data={
            "user": user_id,
            "password": password,
            "csrf": csrf.group(1),
            "next": "/dashboard/fleet",
        },
    )


@pytest.fixture
def seeded(server: ThreadedServer) -> ThreadedServer:
    dashboarddata.seed(server.central, days=35, per_kiosk_day=6)
    _user(server, "sari", Role.SUPERVISOR)
    _user(server, "andi", Role.ANALYST)
    return server


def test_sign_in_pages_csv_and_language(seeded: ThreadedServer) -> None:
    with httpx.Client(base_url=seeded.url, follow_redirects=True) as http:
        # not signed in: every page sends to the login page
        first = http.get("/dashboard/reports/traffic", follow_redirects=False)
        assert first.status_code == 303
        assert first.headers["location"].startswith("/dashboard/login?next=")
        assert _login(http, "sari", "wrong password!!").url.params["failed"] == "1"
        signed = _login(http, "sari")
        assert signed.url.path == "/dashboard/fleet"
        cookie = next(c for c in http.cookies.jar if c.name == "gerbang_dash")
        assert cookie.has_nonstandard_attr("HttpOnly") and cookie.path == "/dashboard"
        page = signed.text
        assert "Armada kios" in page  # Bahasa Indonesia by default
        for kiosk in ("CGK-01", "DPS-01", "KNO-01"):
            assert kiosk in page
        assert "belum pernah melapor" in page  # KNO-01 never reported
        assert "tidak ada kontak melebihi batas luring" in page  # DPS-01: 16 days > 14
        assert "1.4.2" in page  # software version from the status report
        h = signed.headers
        assert h["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert h["cache-control"] == "no-store"
        for name in REPORTS:
            r = http.get(f"/dashboard/reports/{name}")
            assert r.status_code == 200, name
            assert " style=" not in r.text and "<style" not in r.text and "<script" not in r.text
            data = http.get(f"/dashboard/reports/{name}.csv")
            assert data.headers["content-type"].startswith("text/csv")
            rows = list(csv.reader(io.StringIO(data.text)))
            assert len(rows) > 1, name
        traffic = http.get("/dashboard/reports/traffic", params={"grain": "month"})
        assert "<svg" in traffic.text and "Pelintas per bulan" in traffic.text
        rows = list(csv.DictReader(io.StringIO(http.get("/dashboard/reports/traffic.csv").text)))
        assert {r["office_id"] for r in rows} == {"SOEKARNO-HATTA", "NGURAH-RAI", "KUALANAMU"}
        assert all(
            int(r["total"]) == sum(int(r[o]) for o in ("pass", "refer", "reject")) for r in rows
        )
        english = http.get("/dashboard/lang/en", params={"next": "/dashboard/reports/outcomes"})
        assert english.url.path == "/dashboard/reports/outcomes"
        assert "Why travellers were referred" in english.text and 'lang="en"' in english.text
        monthly = http.get("/dashboard/monthly")
        assert "Monthly report" in monthly.text and "Watchlist hits" in monthly.text
        # the open redirect is closed
        away = http.get(
            "/dashboard/lang/id", params={"next": "https://evil.example/"}, follow_redirects=False
        )
        assert away.headers["location"] == "/dashboard/fleet"


def test_roles_csrf_and_logout(seeded: ThreadedServer) -> None:
    with httpx.Client(base_url=seeded.url, follow_redirects=True) as http:
        assert _login(http, "andi").url.path == "/dashboard/fleet"
        assert "/dashboard/reports/watchlist" not in http.get("/dashboard/fleet").text
        refused = http.get("/dashboard/reports/watchlist")
        assert refused.status_code == 403
        assert http.get("/dashboard/reports/watchlist.csv").status_code == 403
        assert "Watchlist" not in http.get("/dashboard/monthly").text
        assert "daftar cegah" not in http.get("/dashboard/monthly").text
        # logout needs the session's CSRF token
        forged = http.post("/dashboard/logout", data={"csrf": "guess"})
        assert forged.status_code == 400
        token = re.search(r'name="csrf" value="([^"]+)"', http.get("/dashboard/fleet").text)
        assert token is not None
        out = http.post("/dashboard/logout", data={"csrf": token.group(1)})
        assert out.url.path == "/dashboard/login"
        assert http.get("/dashboard/fleet", follow_redirects=False).status_code == 303
    with httpx.Client(base_url=seeded.url) as http:
        # a login form without its double-submit cookie is refused
        bare = http.post(
            "/dashboard/login", data={"user": "sari", "password": PASSWORD, "csrf": "x"}
        )
        assert bare.status_code == 400
        # a cross-site form post is refused even with a matching token
        page = http.get("/dashboard/login")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert csrf is not None
        for headers in ({"Sec-Fetch-Site": "cross-site"}, {"Origin": "https://evil.example"}):
            cross = http.post(
                "/dashboard/login",
                data={"user": "sari", "password": PASSWORD, "csrf": csrf.group(1)},
                headers=headers,
            )
            assert cross.status_code == 400, headers
        # five failures lock the account, even for the right password
        for _ in range(5):
            _login(http, "sari", "not the password")
        locked = _login(http, "sari")
        assert "failed=1" in str(locked.headers.get("location", ""))
