"""The dashboard's pages under ``/dashboard``: login, fleet, reports, CSV, monthly report.

Server-rendered (Jinja2, autoescaped), no script at all, so the server's strict
Content-Security-Policy holds unchanged. Sign-in makes a server-side session
(:mod:`sync.server.dashboard.users`) carried by an HttpOnly, SameSite=Strict
cookie (``Secure`` unless served over plain http to a loopback address, which is
only a developer's set-up). Every POST carries a CSRF token: the login form a
double-submit token (cookie + field), later forms the session's own token.
"""

from __future__ import annotations

import csv
import io
import secrets
from calendar import monthrange
from datetime import UTC, date, datetime, timedelta
from functools import cache
from importlib import resources
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, FastAPI, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from models.roles import Permission
from sync.server.apierror import bad_request
from sync.server.dashboard import fleet as fleet_data
from sync.server.dashboard import i18n, queries, reports, users
from sync.server.db import translate_errors
from sync.server.service import Central

PREFIX = "/dashboard"
COOKIE_SESSION = "gerbang_dash"
COOKIE_LOGIN_CSRF = "gerbang_dash_login"
COOKIE_LANG = "gerbang_lang"
DEFAULT_DAYS = 30
MAX_DAYS = 400
MAX_HOUR_DAYS = 31
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}

router = APIRouter(prefix=PREFIX, include_in_schema=False)


class LoginRequired(Exception):  # noqa: N818 - a control-flow signal, not an error
    """No live session: the handler answers with a redirect to the login page."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


class Forbidden(Exception):  # noqa: N818 - answered as a 403 page
    pass


def _now() -> datetime:
    return datetime.now(UTC)


def _central(request: Request) -> Central:
    c: Central = request.app.state.central
    return c


@cache
def _templates() -> Environment:
    folder = resources.files("sync.server.dashboard").joinpath("templates")
    return Environment(
        loader=FileSystemLoader(str(folder)),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _lang(request: Request) -> str:
    return i18n.pick(request.cookies.get(COOKIE_LANG))


def _secure(request: Request) -> bool:
    return request.url.scheme == "https" or (request.url.hostname or "") not in _LOOPBACK


def _here(request: Request) -> str:
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


def _render(
    request: Request,
    template: str,
    session: users.Session | None,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    lang = _lang(request)
    t = i18n.translator(lang)
    nav = []
    if session is not None:
        nav = [name for name, perm in reports.REPORTS.items() if session.user.can(perm)]
    html = (
        _templates()
        .get_template(template)
        .render(
            t=t,
            lang=lang,
            languages=i18n.LANGUAGES,
            session=session,
            nav=nav,
            here=quote(_here(request), safe=""),
            path=request.url.path,
            prefix=PREFIX,
            **context,
        )
    )
    return HTMLResponse(html, status_code=status)


def _session(request: Request, permission: Permission = Permission.VIEW_REPORTS) -> users.Session:
    token = request.cookies.get(COOKIE_SESSION)
    c = _central(request)
    with translate_errors("dashboard session"), c.engine.connect() as conn:
        session = users.session(conn, token, now=_now())
    if session is None:
        raise LoginRequired(_here(request))
    if not session.user.can(permission):
        raise Forbidden
    return session


def _restricted(session: users.Session) -> bool:
    return session.user.can(Permission.VIEW_WATCHLIST_HITS)


def _safe_next(next_url: str | None) -> str:
    """Only a path of this dashboard (no open redirect)."""
    if not next_url:
        return f"{PREFIX}/fleet"
    parts = urlsplit(next_url)
    if parts.scheme or parts.netloc or not parts.path.startswith(PREFIX + "/") or "\\" in next_url:
        return f"{PREFIX}/fleet"
    return next_url


# ---------------------------------------------------------------- login and language
@router.get("/login")
def login_page(request: Request, next: str | None = None, failed: int = 0) -> HTMLResponse:
    token = request.cookies.get(COOKIE_LOGIN_CSRF) or secrets.token_urlsafe(24)
    response = _render(
        request, "login.html", None, csrf=token, next=_safe_next(next), failed=bool(failed)
    )
    response.set_cookie(
        COOKIE_LOGIN_CSRF,
        token,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        path=PREFIX,
    )
    return response


def _same_origin(request: Request) -> bool:
    """No cross-site form posts. Browsers send ``Origin: null`` under the server's
    ``Referrer-Policy: no-referrer``, so the decisive headers are ``Sec-Fetch-Site``
    and a non-null ``Origin``; the CSRF token is checked in any case."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return True
    return urlsplit(origin).netloc == request.url.netloc


@router.post("/login")
def login(
    request: Request,
    user: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    csrf: Annotated[str, Form(max_length=64)],
    next: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    cookie = request.cookies.get(COOKIE_LOGIN_CSRF) or ""
    if not cookie or not secrets.compare_digest(cookie, csrf) or not _same_origin(request):
        raise bad_request("dashboard.csrf", "the form has expired; reload the login page")
    c = _central(request)
    with translate_errors("dashboard login"), c.engine.begin() as conn:
        made = users.login(conn, user.strip().lower(), password, now=_now())
    target = _safe_next(next)
    if made is None:
        return RedirectResponse(
            f"{PREFIX}/login?failed=1&next={quote(target, safe='')}", status_code=303
        )
    token, session = made
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        COOKIE_SESSION,
        token,
        max_age=int((session.expires_at - _now()).total_seconds()),
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        path=PREFIX,
    )
    response.delete_cookie(COOKIE_LOGIN_CSRF, path=PREFIX)
    return response


@router.post("/logout")
def logout(request: Request, csrf: Annotated[str, Form(max_length=64)]) -> Response:
    session = _session(request)
    if not secrets.compare_digest(session.csrf_token, csrf) or not _same_origin(request):
        raise bad_request("dashboard.csrf", "the form has expired; reload the page")
    c = _central(request)
    with translate_errors("dashboard logout"), c.engine.begin() as conn:
        users.logout(conn, request.cookies.get(COOKIE_SESSION, ""))
    response = RedirectResponse(f"{PREFIX}/login", status_code=303)
    response.delete_cookie(COOKIE_SESSION, path=PREFIX)
    return response


@router.get("/lang/{code}")
def language(request: Request, code: str, next: str | None = None) -> Response:
    if code not in i18n.LANGUAGES:
        raise bad_request("dashboard.language", "languages: id, en")
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        COOKIE_LANG,
        code,
        max_age=365 * 86400,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path=PREFIX,
    )
    return response


@router.get("/static/dashboard.css")
def stylesheet() -> Response:
    css = resources.files("sync.server.dashboard").joinpath("static/dashboard.css").read_text()
    return Response(css, media_type="text/css", headers={"Cache-Control": "max-age=3600"})


@router.get("")
@router.get("/")
def home() -> Response:
    return RedirectResponse(f"{PREFIX}/fleet", status_code=303)


# ---------------------------------------------------------------- pages
@router.get("/fleet")
def fleet_page(request: Request) -> HTMLResponse:
    session = _session(request)
    c = _central(request)
    now = _now()
    with translate_errors("dashboard fleet"), c.engine.connect() as conn:
        rows = fleet_data.fleet(conn, now=now)
    return _render(
        request,
        "fleet.html",
        session,
        rows=rows,
        now=now,
        alerting=sum(1 for r in rows if r.alerts),
    )


def _scope(
    start: str | None, end: str | None, office: str | None, kiosk: str | None
) -> queries.Scope:
    try:
        last = date.fromisoformat(end) if end else _now().date()
        first = date.fromisoformat(start) if start else last - timedelta(days=DEFAULT_DAYS - 1)
    except ValueError as exc:
        raise bad_request("dashboard.date", "dates are YYYY-MM-DD") from exc
    if first > last or (last - first).days >= MAX_DAYS:
        raise bad_request("dashboard.range", f"the range is 1-{MAX_DAYS} days, start before end")
    return queries.Scope(first, last, office or None, kiosk or None)


Text = Annotated[str | None, Query(max_length=64)]


def _report(
    request: Request,
    name: str,
    start: str | None,
    end: str | None,
    office: str | None,
    kiosk: str | None,
    grain: str,
    *,
    with_charts: bool,
) -> tuple[users.Session, queries.Scope, reports.Report, str, list[tuple[str, str]]]:
    session = _session(request)
    if name not in reports.REPORTS:
        raise bad_request("dashboard.report", "no such report")
    if not session.user.can(reports.REPORTS[name]):
        raise Forbidden
    scope = _scope(start, end, office, kiosk)
    if grain not in queries.GRAINS:
        grain = "day"
    if grain == "hour" and (scope.end - scope.start).days >= MAX_HOUR_DAYS:
        grain = "day"
    c = _central(request)
    c.fold_rollups(max_batches=1)  # what arrived since the folder's last round
    with translate_errors("dashboard report"), c.engine.connect() as conn:
        d = reports.data(
            name, conn, scope, grain, restricted=_restricted(session), detail=not with_charts
        )
        places = queries.offices_and_kiosks(conn)
    t = i18n.translator(_lang(request))
    return (
        session,
        scope,
        reports.build(name, d, t, grain=grain, with_charts=with_charts),
        grain,
        places,
    )


def _cell(value: Any) -> Any:
    """Spreadsheet formula injection: text starting with = + - @ is quoted."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


@router.get("/reports/{name}.csv")
def report_csv(
    request: Request,
    name: str,
    start: Text = None,
    end: Text = None,
    office: Text = None,
    kiosk: Text = None,
    grain: Annotated[str, Query(max_length=8)] = "day",
) -> Response:
    _sess, scope, report, _grain, _places = _report(
        request, name, start, end, office, kiosk, grain, with_charts=False
    )
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(report.csv_headers)
    writer.writerows([_cell(v) for v in row] for row in report.csv_rows)
    filename = f"gerbang-{name}-{scope.start.isoformat()}-{scope.end.isoformat()}.csv"
    return Response(
        buf.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/reports/{name}")
def report_page(
    request: Request,
    name: str,
    start: Text = None,
    end: Text = None,
    office: Text = None,
    kiosk: Text = None,
    grain: Annotated[str, Query(max_length=8)] = "day",
) -> HTMLResponse:
    session, scope, report, grain, places = _report(
        request, name, start, end, office, kiosk, grain, with_charts=True
    )
    csv_query = request.url.query
    return _render(
        request,
        "report.html",
        session,
        report=report,
        scope=scope,
        grain=grain,
        grains=queries.GRAINS if name == "traffic" else (),
        offices=sorted({o for o, _ in places}),
        kiosks=[k for o, k in places if not scope.office_id or o == scope.office_id],
        csv_url=f"{PREFIX}/reports/{name}.csv" + (f"?{csv_query}" if csv_query else ""),
    )


@router.get("/monthly")
def monthly(request: Request, month: Text = None, office: Text = None) -> HTMLResponse:
    session = _session(request)
    today = _now().date()
    try:
        first = date.fromisoformat(f"{month}-01") if month else today.replace(day=1)
    except ValueError as exc:
        raise bad_request("dashboard.month", "month is YYYY-MM") from exc
    last = first.replace(day=monthrange(first.year, first.month)[1])
    scope = queries.Scope(first, last, office or None, None)
    t = i18n.translator(_lang(request))
    names = [n for n, perm in reports.REPORTS.items() if session.user.can(perm)]
    c = _central(request)
    c.fold_rollups(max_batches=1)  # what arrived since the folder's last round
    with translate_errors("dashboard monthly"), c.engine.connect() as conn:
        restricted = _restricted(session)
        data = {n: reports.data(n, conn, scope, "day", restricted=restricted) for n in names}
        places = queries.offices_and_kiosks(conn)
    built = [reports.build(n, data[n], t, grain="day") for n in names]
    previous = (first - timedelta(days=1)).strftime("%Y-%m")
    following = (last + timedelta(days=1)).strftime("%Y-%m")
    return _render(
        request,
        "monthly.html",
        session,
        reports_built=built,
        scope=scope,
        month=first.strftime("%Y-%m"),
        previous=previous,
        following=following,
        offices=sorted({o for o, _ in places}),
        generated=_now(),
    )


def install(app: FastAPI) -> None:
    """Mount the dashboard on ``app``."""

    async def login_required(request: Request, exc: Exception) -> Response:
        next_url = exc.next_url if isinstance(exc, LoginRequired) else PREFIX
        return RedirectResponse(f"{PREFIX}/login?next={quote(next_url, safe='')}", status_code=303)

    async def forbidden(request: Request, _exc: Exception) -> Response:
        return _render(request, "forbidden.html", None, status=403)

    app.add_exception_handler(LoginRequired, login_required)
    app.add_exception_handler(Forbidden, forbidden)
    app.include_router(router)
