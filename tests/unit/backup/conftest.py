from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from models.backup import create_backup
from models.keys import KeyStore
from models.recovery import RecoveryKey
from models.store import Store
from tests import factories


@dataclass
class Kiosk:
    data: Path
    keys: KeyStore
    store: Store

    def backup(self, out: Path) -> Path:
        return create_backup(self.store, self.keys, self.data, out, kiosk_id="KIOSK-1").path

    def reopen(self) -> Store:
        self.store.close()
        self.store = Store.open(self.data / "kiosk.db", KeyStore(self.data / "keys").store_key())
        return self.store


@pytest.fixture
def kiosk(tmp_path: Path) -> Iterator[Kiosk]:
    data = tmp_path / "data"
    keys = KeyStore(data / "keys")
    store = Store.open(data / "kiosk.db", keys.store_key())
    store.travellers.add(factories.traveller("t-1"))
    store.documents.add(factories.document("C1234567"))
    store.events.add(factories.event())
    (data / "index").mkdir()
    (data / "index" / "face.idx").write_bytes(secrets.token_bytes(5000))
    made = Kiosk(data, keys, store)
    yield made
    made.store.close()


@pytest.fixture
def recovery(kiosk: Kiosk) -> RecoveryKey:
    """A recovery key set up on the kiosk (as `gerbang keys recovery-init` does)."""
    key = RecoveryKey(X25519PrivateKey.generate(), "KIOSK-1", kiosk.keys.signing_key().public_key())
    kiosk.keys.set_recovery_public_key(key.private.public_key())
    return key
