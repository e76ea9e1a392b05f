"""What a server instance needs: the database URL and the server's keys.

Every instance behind a load balancer must use the same database and the same
key folder (``<data_dir>/server/keys``, or a mounted secret): the feed-signing
key is what kiosks pinned at registration.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from models.keys import KeyStore
from models.settings import Settings
from sync import params


def server_dir(settings: Settings) -> Path:
    return settings.data_dir / "server"


def database_url(settings: Settings) -> str:
    """``server.database_url``, else a SQLite file in the data directory."""
    if settings.server.database_url:
        return settings.server.database_url
    return f"sqlite:///{server_dir(settings) / 'central.db'}"


@dataclass(frozen=True)
class ServerConfig:
    database_url: str
    signing_key: Ed25519PrivateKey  # signs feed pages; kiosks pin its public key
    index_key: bytes  # keyed hash of document numbers for central de-duplication
    max_clock_skew_s: int = params.MAX_CLOCK_SKEW_S
    migrate_on_start: bool = True
    # Rate limits (0 = off): per client address and process, per kiosk across instances.
    rate_ip_per_s: float = params.RATE_IP_PER_S
    rate_ip_burst: int = params.RATE_IP_BURST
    rate_kiosk_per_min: int = params.RATE_KIOSK_PER_MIN

    @classmethod
    def from_key_dir(cls, url: str, key_dir: Path, **kwargs: object) -> ServerConfig:
        keys = KeyStore(key_dir)
        signing = Ed25519PrivateKey.from_private_bytes(keys.load_or_create("feed_signing"))
        return cls(url, signing, keys.load_or_create("dedup_index"), **kwargs)  # type: ignore[arg-type]

    @classmethod
    def from_settings(cls, settings: Settings, *, url: str | None = None) -> ServerConfig:
        server = settings.server
        limits = {
            name: value
            for name, value in (
                ("rate_ip_per_s", server.rate_ip_per_s),
                ("rate_ip_burst", server.rate_ip_burst),
                ("rate_kiosk_per_min", server.rate_kiosk_per_min),
            )
            if value is not None
        }
        return cls.from_key_dir(
            url or database_url(settings), server_dir(settings) / "keys", **limits
        )
