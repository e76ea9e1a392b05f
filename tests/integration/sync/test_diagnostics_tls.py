"""The technician's network probe against a real HTTPS central server (test CA)."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.settings import validate_settings
from sync.diagnostics import probe_server
from sync.server.config import ServerConfig
from sync.server.runner import ThreadedServer, uvicorn_options
from tests.integration.sync.tlscerts import make_pki

pytestmark = pytest.mark.integration


def test_probe_reports_tls_version_cipher_certificate_and_skew(tmp_path: Path) -> None:
    pki = make_pki(tmp_path / "pki")
    settings = validate_settings(
        {
            "paths": {"data_dir": str(tmp_path / "data")},
            "server": {"tls_certfile": str(pki.cert_file), "tls_keyfile": str(pki.key_file)},
        }
    )
    config = ServerConfig.from_key_dir(f"sqlite:///{tmp_path / 'c.db'}", tmp_path / "keys")
    with ThreadedServer(config, **uvicorn_options(settings)) as server:
        probe = probe_server(server.url + "/v1", verify=pki.client_context())
        untrusted = probe_server(server.url)  # the system trust store does not know the test CA
    assert probe["reachable"] is True, probe
    tls = probe["tls"]
    assert tls["version"] in ("TLSv1.2", "TLSv1.3") and tls["cipher"]
    # make_pki's server certificate lives one day: the probe warns about it
    assert tls["certificate_days_left"] in (0, 1)
    assert probe["problems"] == ["certificate_expires_soon"]
    assert abs(probe["clock_skew_s"]) <= 2
    assert untrusted["reachable"] is False and untrusted["problems"] == ["tls_failed"]
