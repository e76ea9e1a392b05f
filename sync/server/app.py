"""The FastAPI application of the central server."""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from models.errors import GerbangError, StoreError
from models.settings import load_settings
from sync import params, protocol
from sync.server import hardening, routes_admin, routes_kiosk
from sync.server.api_models import ErrorBody, Health
from sync.server.apierror import ApiError
from sync.server.config import ServerConfig
from sync.server.dashboard import routes as dashboard
from sync.server.service import Central

log = logging.getLogger(__name__)

# Set by `gerbang server run` after it migrated once, so worker processes do not race.
ENV_MIGRATED = "GERBANG_SERVER_MIGRATED"
ENV_DATABASE_URL = "GERBANG_SERVER__DATABASE_URL"
VERSION = "1"


class ServerTimeMiddleware:
    """Adds ``X-Gerbang-Server-Time`` to every answer (kiosks correct clock skew with it)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_time(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append(
                    (protocol.H_SERVER_TIME.lower().encode(), str(int(time.time())).encode())
                )
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_time)


def _error(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message}}, status_code=status, headers=headers
    )


class RollupFolder:
    """Counts the rollup queue into the dashboard's rollups about once a second
    (one per process; on PostgreSQL an advisory lock keeps folders of several
    instances from working at the same time)."""

    def __init__(self, service: Central, interval_s: float = params.ROLLUP_FOLD_S) -> None:
        self.service = service
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="gerbang-rollups", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(30)

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.service.fold_rollups()
            except GerbangError as exc:  # the database is away: the next round tries again
                log.warning("rollup fold failed", extra={"code": exc.code})
            except Exception:  # the thread's top level: log the bug, keep folding
                log.exception("rollup fold failed", extra={"code": "internal"})


def create_app(config: ServerConfig, *, central: Central | None = None) -> FastAPI:
    """The app for ``config``; the engine is created now, the schema migrated at start-up."""
    service = central or Central(config)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if config.migrate_on_start:
            applied = await run_in_threadpool(service.migrate)
            log.info("central database ready", extra={"count": len(applied)})
        folder = RollupFolder(service)
        folder.start()
        yield
        folder.stop()
        if central is None:
            service.close()

    app = FastAPI(
        title="Gerbang central server",
        version=VERSION,
        description="Kiosk registration, signed change feeds, idempotent push ingest. See docs/sync.md.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        responses={
            400: {"model": ErrorBody},
            401: {"model": ErrorBody},
            403: {"model": ErrorBody},
            503: {"model": ErrorBody},
        },
    )
    app.state.central = service
    app.add_middleware(
        GZipMiddleware,
        minimum_size=params.FEED_GZIP_MIN_BYTES,
        compresslevel=params.FEED_GZIP_LEVEL,
    )
    app.add_middleware(ServerTimeMiddleware)
    hardening.install(app, config)

    @app.exception_handler(ApiError)
    async def api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return _error(exc.status, exc.code, exc.message, exc.headers)

    @app.exception_handler(StoreError)
    async def store_error(_request: Request, exc: StoreError) -> JSONResponse:
        log.warning("database unavailable", extra={"code": exc.code})
        return _error(503, "server.database", "the central database is unavailable; retry later")

    @app.get("/healthz", response_model=Health, tags=["operations"])
    def healthz() -> Health:
        """Liveness: the process answers."""
        return Health(status="ok")

    @app.get(
        "/readyz", response_model=Health, tags=["operations"], responses={503: {"model": Health}}
    )
    def readyz() -> Any:
        """Readiness: the database answers and its schema is at the newest revision."""
        try:
            ok, revision = service.ready()
        except StoreError:
            return JSONResponse({"status": "database_unavailable"}, status_code=503)
        if not ok:
            return JSONResponse(
                {"status": "schema_not_current", "revision": revision}, status_code=503
            )
        return Health(status="ready", revision=revision)

    app.include_router(routes_kiosk.router)
    app.include_router(routes_admin.router)
    dashboard.install(app)  # the web dashboard under /dashboard (issue #12)
    return app


def app_from_environment() -> FastAPI:
    """Factory for uvicorn workers: settings from ``$GERBANG_CONFIG`` and ``GERBANG_*``."""
    settings, _ = load_settings()
    config = ServerConfig.from_settings(settings)
    if os.environ.get(ENV_MIGRATED) == "1":
        config = dataclasses.replace(config, migrate_on_start=False)
    return create_app(config)
