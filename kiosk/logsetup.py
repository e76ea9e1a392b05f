"""Structured logging: JSON lines to a rotating file, a short line (or JSON) to stderr.

Logs carry ids and outcomes only. The formatter writes the message and only the
``extra`` fields named in :data:`ALLOWED_FIELDS`; anything else passed as extra
is dropped, so a template, an image or MRZ text handed to a logger by mistake
never reaches disk. Messages themselves must not contain personal data: log an
event id, not a name.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

ALLOWED_FIELDS = frozenset(
    {
        "event_id",
        "kiosk_id",
        "office_id",
        "device_id",
        "record_id",
        "referral_id",
        "enrollment_id",
        "outcome",
        "reasons",
        "state",
        "code",
        "count",
        "duration_ms",
        "step",
        "attempt",
        "status",
        "command",
        "version",
        "path",
        "actor",  # the name of an API token or staff account (central server), never a secret
    }
)
_INSTALLED: list[logging.Handler] = []
_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
}


def safe_fields(record: logging.LogRecord) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for key, value in record.__dict__.items():
        if key in _STANDARD or key not in ALLOWED_FIELDS:
            continue
        fields[key] = value if isinstance(value, str | int | float | bool | None) else str(value)
    return fields


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            **safe_fields(record),
        }
        if record.exc_info and record.exc_info[0] is not None:
            # The type (and our error code) only: messages of third-party exceptions
            # and tracebacks can quote the data that failed, e.g. an MRZ line.
            entry["exc"] = record.exc_info[0].__name__
            code = getattr(record.exc_info[1], "code", None)
            if isinstance(code, str):
                entry["code"] = code
        return json.dumps(entry, ensure_ascii=False)


class ConsoleFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        fields = " ".join(f"{k}={v}" for k, v in safe_fields(record).items())
        line = f"{record.levelname.lower()}: {record.getMessage()}"
        return f"{line} [{fields}]" if fields else line


def configure(
    *,
    level: str = "INFO",
    log_dir: Path | None = None,
    max_bytes: int = 5_000_000,
    backups: int = 5,
    json_stderr: bool = False,
    stream: TextIO | None = None,
) -> None:
    """Install the handlers on the root logger (idempotent: replaces earlier ones)."""
    root = logging.getLogger()
    while _INSTALLED:
        handler = _INSTALLED.pop()
        root.removeHandler(handler)
        handler.close()
    root.setLevel(level)
    console = logging.StreamHandler(stream or sys.stderr)
    console.setLevel("WARNING" if level == "INFO" else level)
    console.setFormatter(JsonFormatter() if json_stderr else ConsoleFormatter())
    handlers: list[logging.Handler] = [console]
    if log_dir is not None:
        log_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        file_handler = logging.handlers.RotatingFileHandler(
            log_dir / "gerbang.log", maxBytes=max_bytes, backupCount=backups, encoding="utf-8"
        )
        file_handler.setFormatter(JsonFormatter())
        handlers.append(file_handler)
    for handler in handlers:
        root.addHandler(handler)
        _INSTALLED.append(handler)


def server_log_config(*, level: str = "INFO", json_stderr: bool = False) -> dict[str, Any]:
    """``logging.config.dictConfig`` of the central server: every process (uvicorn
    applies it in each worker) writes to stderr through the formatters above, so
    the same field filter applies; uvicorn's own loggers propagate to it at WARNING.
    A server runs under systemd or a container runtime, which keep stderr; several
    worker processes must not rotate one file between them."""
    formatter = "kiosk.logsetup.JsonFormatter" if json_stderr else "kiosk.logsetup.ConsoleFormatter"
    quiet = {"level": "WARNING", "handlers": [], "propagate": True}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"gerbang": {"()": formatter}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "gerbang",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {
            "uvicorn": quiet,
            "uvicorn.error": quiet,
            "uvicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
            "alembic": quiet,  # the readiness probe reads the schema revision every few seconds
        },
    }
