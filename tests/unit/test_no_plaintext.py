"""Personal data never reaches the disk in clear: store file, WAL, backups, key files, logs."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from models import codec
from models.audit import AuditLog
from models.backup import create_backup
from models.keys import KeyStore
from models.store import Store
from tests import factories

MRZ_LINE = "P<IDNSIREGAR<<MARIA<ULINA<<<<<<<<<<<<<<<<<<<"
NEEDLES = ("SIREGAR", "MARIA ULINA", "C1234567", "BUDI SANTOSO", "B7654321", MRZ_LINE[:20])


def _grep(paths: list[Path]) -> list[str]:
    found = []
    for path in paths:
        raw = path.read_bytes()
        for needle in NEEDLES:
            for encoded in (needle.encode(), needle.lower().encode(), needle.encode("utf-16-le")):
                if encoded in raw:
                    found.append(f"{path.name}: {needle}")
    return found


def test_store_wal_and_backup_hold_no_names_or_document_numbers(tmp_path: Path) -> None:
    data = tmp_path / "data"
    keys = KeyStore(data / "keys")
    store = Store.open(data / "kiosk.db", keys.store_key())
    audit = AuditLog(store, keys.signing_key())
    with store.atomic():
        store.travellers.add(factories.traveller())
        store.documents.add(factories.document("C1234567"))
        store.watchlist.add(factories.watchlist_entry())
        event = dataclasses.replace(factories.event(), document_number="C1234567")
        store.events.add(event)
        store.outbox.enqueue("verification_event", event.event_id, codec.dumps(event))
        store.enrollments.add(factories.enrollment())
        audit.append("officer-7", "enrollment.create", "en-1", {"fingers": 8})
    files = [p for p in data.iterdir() if p.name.startswith("kiosk.db")]
    assert any(
        p.name.endswith("-wal") for p in files
    )  # the WAL is checked too, before checkpointing
    assert _grep(files) == []
    backup = create_backup(store, keys, data, tmp_path / "backups", kiosk_id="K").path
    store.close()
    assert _grep([*data.glob("kiosk.db*"), backup, *(data / "keys").iterdir()]) == []


def test_logs_hold_no_personal_data(tmp_path: Path) -> None:
    """A demo transaction, a failed login typed with a name, a backup: the log file stays clean."""
    import logging

    from argon2 import PasswordHasher

    from enrollment.accounts import Accounts, LoginError
    from kiosk import logsetup
    from models.roles import Role

    logsetup.configure(level="DEBUG", log_dir=tmp_path / "logs")
    try:
        data = tmp_path / "data"
        keys = KeyStore(data / "keys")
        store = Store.open(data / "kiosk.db", keys.store_key())
        audit = AuditLog(store, keys.signing_key())
        store.documents.add(factories.document("C1234567"))
        accounts = Accounts(
            store, audit, hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
        )
        accounts.create("admin", "Admin", [Role.ADMIN], "admin-secret", by=None, bootstrap=True)
        try:
            accounts.login("BUDI SANTOSO", "x")
        except LoginError:
            logging.getLogger("gerbang.test").warning(
                "login failed", extra={"code": "security.login_failed"}
            )
        create_backup(store, keys, data, tmp_path / "backups", kiosk_id="K")
        store.close()
    finally:
        logsetup.configure(level="WARNING")
    logs = list((tmp_path / "logs").iterdir())
    assert logs and (tmp_path / "logs" / "gerbang.log").read_text()  # something was logged
    assert _grep([*logs, data / "kiosk.db"]) == []
