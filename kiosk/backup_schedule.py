"""Scheduled backups of a running kiosk (``[backup] interval_h``, ``keep``, ``dir``).

A daemon thread wakes every few minutes; when the newest backup in the backup
folder is older than ``interval_h`` (or there is none) it makes one (online: the
kiosk keeps working), keeps the newest ``keep`` and audits it as
``kiosk:scheduler``. A failed backup is logged and audited, and retried at the
next wake-up; it never stops the kiosk.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from models.audit import AuditLog
from models.backup import create_backup, prune_backups
from models.errors import GerbangError
from models.keys import KeyStore
from models.settings import Settings
from models.store import Store

log = logging.getLogger(__name__)

ACTOR = "kiosk:scheduler"
WAKE_S = 300.0


def newest_backup(folder: Path) -> datetime | None:
    """When the newest finished backup in ``folder`` was written (None: there is none)."""
    times = [p.stat().st_mtime for p in folder.glob("gerbang-backup-*.gbk")]
    return datetime.fromtimestamp(max(times), UTC) if times else None


class BackupScheduler:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        keys: KeyStore,
        audit: AuditLog,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        wake_s: float = WAKE_S,
    ) -> None:
        self.settings = settings
        self.store = store
        self.keys = keys
        self.audit = audit
        self.clock = clock
        self.wake_s = wake_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def folder(self) -> Path:
        return self.settings.backup_dir

    def due(self) -> bool:
        last = newest_backup(self.folder)
        interval = timedelta(hours=self.settings.backup.interval_h)
        return last is None or self.clock() - last >= interval

    def run_once(self) -> Path | None:
        """Make a backup when one is due; returns its path (None: not due)."""
        if not self.due():
            return None
        try:
            info = create_backup(
                self.store,
                self.keys,
                self.settings.data_dir,
                self.folder,
                kiosk_id=self.settings.kiosk.id,
                now=self.clock(),
            )
        except (GerbangError, OSError) as exc:
            code = exc.code if isinstance(exc, GerbangError) else "os_error"
            log.error("scheduled backup failed", extra={"code": code})  # noqa: TRY400 - by code only
            self.audit.append(ACTOR, "backup.failed", "scheduled", {"code": code})
            return None
        pruned = prune_backups(self.folder, self.settings.backup.keep)
        self.audit.append(
            ACTOR, "backup.create", info.path.name, {"bytes": info.bytes, "pruned": len(pruned)}
        )
        log.info("scheduled backup written", extra={"outcome": "ok"})
        return info.path

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("backup scheduler already started")
        self._thread = threading.Thread(target=self._run, name="gerbang-backup", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 60.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.run_once()
            self._stop.wait(self.wake_s)
