"""Running the server: in the foreground (CLI), as a subprocess, or in a thread (tests)."""

from __future__ import annotations

import argparse
import os
import socket
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from models.errors import ConfigError
from models.settings import Settings, load_settings
from sync import params
from sync.server.app import ENV_DATABASE_URL, ENV_MIGRATED, create_app
from sync.server.config import ServerConfig, database_url
from sync.server.service import Central

FACTORY = "sync.server.app:app_from_environment"


def migrate_once(settings: Settings) -> list[str]:
    central = Central(ServerConfig.from_settings(settings))
    try:
        return central.migrate()
    finally:
        central.close()


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """uvicorn settings shared by ``serve`` and the test server: TLS, proxies, headers.

    TLS (``[server] tls_certfile`` + ``tls_keyfile``): TLS 1.2 and 1.3 with AEAD
    suites only (:data:`sync.params.TLS_CIPHERS`). No access log (paths and
    addresses of every request are not needed; errors are logged by the app).
    """
    server = settings.server
    options: dict[str, Any] = {
        "proxy_headers": True,
        "forwarded_allow_ips": server.forwarded_allow_ips,
        "server_header": False,
        "access_log": False,
        "timeout_keep_alive": params.SERVER_KEEP_ALIVE_S,
    }
    if server.tls_certfile is not None and server.tls_keyfile is not None:
        for path in (server.tls_certfile, server.tls_keyfile):
            if not path.is_file():
                raise ConfigError(f"TLS file {path} does not exist", key="server.tls_certfile")
        options.update(
            ssl_certfile=str(server.tls_certfile),
            ssl_keyfile=str(server.tls_keyfile),
            ssl_version=ssl.PROTOCOL_TLS_SERVER,
            ssl_ciphers=params.TLS_CIPHERS,
        )
    return options


def serve(
    settings: Settings,
    *,
    host: str,
    port: int,
    workers: int,
    log_config: dict[str, Any] | None = None,
) -> None:
    """Migrate once, then run uvicorn (workers are separate processes sharing nothing).

    ``log_config`` (a ``logging.config.dictConfig`` dictionary) is applied in every
    worker process; without it the processes keep the logging they inherit.
    """
    migrate_once(settings)
    options = uvicorn_options(settings)
    os.environ[ENV_MIGRATED] = "1"
    os.environ[ENV_DATABASE_URL] = database_url(settings)
    os.environ["GERBANG_PATHS__DATA_DIR"] = str(settings.data_dir)
    uvicorn.run(
        FACTORY,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        log_config=log_config,
        timeout_graceful_shutdown=5,
        **options,
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def spawn_server(
    url: str,
    data_dir: Path,
    port: int,
    workers: int = 1,
    *,
    timeout_s: float = 60.0,
    settings_env: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """``python -m sync.server`` in a child process, returned once it is ready.

    The child sees no ``GERBANG_*`` variable of this process, only ``settings_env``.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("GERBANG_")}
    env.update(settings_env or {})
    command = [sys.executable, "-m", "sync.server", "--database-url", url]
    command += ["--data-dir", str(data_dir), "--port", str(port), "--workers", str(workers)]
    process = subprocess.Popen(command, env=env)  # noqa: S603 - our own module, fixed arguments
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server process exited with {process.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    process.kill()
    raise RuntimeError("server process did not become ready")


class ThreadedServer:
    """uvicorn in a thread on a loopback port, for integration tests."""

    def __init__(self, config: ServerConfig, port: int | None = None, **options: Any) -> None:
        self.port = port or free_port()
        self.central = Central(config)
        self.tls = "ssl_certfile" in options
        self.app = create_app(config, central=self.central)
        self._server = uvicorn.Server(
            uvicorn.Config(
                self.app,
                host="127.0.0.1",
                port=self.port,
                log_level="error",
                **{"access_log": False, "server_header": False, **options},
            )
        )
        self._thread = threading.Thread(target=self._server.run, name="sync-server", daemon=True)

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 20.0) -> ThreadedServer:
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("test server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self.central.close()

    def __enter__(self) -> ThreadedServer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sync.server")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8470)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    if args.database_url:
        os.environ[ENV_DATABASE_URL] = args.database_url
    if args.data_dir:
        os.environ["GERBANG_PATHS__DATA_DIR"] = str(args.data_dir)
    settings, _ = load_settings()
    serve(settings, host=args.host, port=args.port, workers=args.workers)
