"""The OpenAPI document, built without a database or keys (for docs and tests)."""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sync.server.app import create_app
from sync.server.config import ServerConfig
from sync.server.db import make_engine
from sync.server.service import Central


def document() -> dict[str, Any]:
    config = ServerConfig(
        "sqlite://", Ed25519PrivateKey.generate(), b"\0" * 32, migrate_on_start=False
    )
    central = Central(config, engine=make_engine("sqlite://"))
    try:
        spec: dict[str, Any] = create_app(config, central=central).openapi()
    finally:
        central.close()
    return spec
