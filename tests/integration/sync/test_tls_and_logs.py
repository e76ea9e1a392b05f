"""TLS served by uvicorn from ``[server]`` settings (a test CA made here), and the
server's log output checked for personal data and secrets after real traffic."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from models import codec
from models.audit import AuditLog, ChainHead
from models.keys import KeyStore
from models.settings import validate_settings
from models.store import Store
from models.store.outbox import OutboxItem
from sync.engine import SyncEngine
from sync.server.config import ServerConfig
from sync.server.runner import ThreadedServer, free_port, uvicorn_options
from sync.server.service import Central
from tests import factories
from tests.integration.sync.tlscerts import Pki, make_pki
from tests.syncdata import enrollment_bundle, kiosk_settings

pytestmark = pytest.mark.integration

# Personal data that a push carries; none of it may reach the server's logs.
SURNAME, GIVEN, DOCUMENT = "TARUDINZX", "NURHALIZAQ", "Q7X4K9M2"


def _handshake(port: int, pki: Pki, *, maximum: ssl.TLSVersion, ciphers: str) -> str:
    """The negotiated version, or the SSL error; the client allows old protocols
    (SECLEVEL 0), so a refusal is the server's."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(str(pki.ca_file))
    with warnings.catch_warnings():  # an outdated client is the point here
        warnings.filterwarnings("ignore", "ssl.TLSVersion.TLSv1", DeprecationWarning)
        context.minimum_version = ssl.TLSVersion.TLSv1
        context.maximum_version = maximum
    context.set_ciphers(ciphers + ":@SECLEVEL=0")
    try:
        with (
            socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
            context.wrap_socket(raw, server_hostname="localhost") as tls,
        ):
            return f"{tls.version()} {tls.cipher()[0]}"
    except ssl.SSLError as exc:
        return f"refused: {exc.reason}"


def test_https_from_settings_with_a_test_ca(tmp_path: Path) -> None:
    pki = make_pki(tmp_path / "pki")
    settings = validate_settings(
        {
            "paths": {"data_dir": str(tmp_path / "data")},
            "server": {"tls_certfile": str(pki.cert_file), "tls_keyfile": str(pki.key_file)},
        }
    )
    config = ServerConfig.from_key_dir(f"sqlite:///{tmp_path / 'c.db'}", tmp_path / "keys")
    with ThreadedServer(config, **uvicorn_options(settings)) as server:
        assert server.url.startswith("https://127.0.0.1:")
        ok = httpx.get(f"{server.url}/readyz", verify=pki.client_context())
        assert ok.status_code == 200
        assert ok.headers["strict-transport-security"] == "max-age=63072000; includeSubDomains"
        with pytest.raises(httpx.ConnectError):  # not a publicly trusted certificate
            httpx.get(f"{server.url}/readyz")
        port = server.port
        aead = "ECDHE-ECDSA-AES128-GCM-SHA256"
        cbc = "ECDHE-ECDSA-AES128-SHA"
        assert _handshake(port, pki, maximum=ssl.TLSVersion.TLSv1_3, ciphers=aead).startswith(
            "TLSv1.3"
        )
        assert _handshake(port, pki, maximum=ssl.TLSVersion.TLSv1_2, ciphers=aead) == (
            f"TLSv1.2 {aead}"
        )
        for maximum, ciphers in (
            (ssl.TLSVersion.TLSv1_2, cbc),  # CBC suites are off
            (ssl.TLSVersion.TLSv1_1, f"{aead}:{cbc}"),  # TLS 1.1 and 1.0 are off
            (ssl.TLSVersion.TLSv1, f"{aead}:{cbc}"),
        ):
            assert _handshake(port, pki, maximum=maximum, ciphers=ciphers).startswith("refused")
        # a kiosk trusts the office CA (in production: SSL_CERT_FILE, see docs/security.md)
        keys = KeyStore(tmp_path / "kiosk" / "keys")
        store = Store.open(tmp_path / "kiosk" / "kiosk.db", keys.store_key())
        try:
            engine = SyncEngine(
                store,
                kiosk_settings(tmp_path / "kiosk", "K-TLS", "WAYKANAN", server.url),
                keys.signing_key(),
                transport=httpx.HTTPTransport(verify=pki.client_context()),
            )
            engine.register(server.central.issue_code("WAYKANAN")["code"])
            assert engine.run_once().pull.pages == 1
        finally:
            store.close()


def test_tls_settings_go_together(tmp_path: Path) -> None:
    from models.errors import ConfigError

    with pytest.raises(ConfigError, match="go together"):
        validate_settings({"server": {"tls_certfile": str(tmp_path / "c.pem")}})
    settings = validate_settings(
        {"server": {"tls_certfile": str(tmp_path / "c.pem"), "tls_keyfile": str(tmp_path / "k")}}
    )
    with pytest.raises(ConfigError, match="does not exist"):
        uvicorn_options(settings)
    assert "ssl_certfile" not in uvicorn_options(validate_settings({}))


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Pki, Path, subprocess.Popen[bytes], Path]]:
    """`gerbang server run --workers 2` over TLS from a settings file, debug logging."""
    pki = make_pki(tmp_path / "pki")
    data = tmp_path / "server-data"
    port = free_port()
    config = tmp_path / "gerbang.toml"
    config.write_text(
        f"""
[paths]
data_dir = "{data}"
[server]
database_url = "sqlite:///{tmp_path / "central.db"}"
port = {port}
tls_certfile = "{pki.cert_file}"
tls_keyfile = "{pki.key_file}"
[logging]
level = "DEBUG"
json_stderr = true
"""
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("GERBANG_")}
    env["GERBANG_CONFIG"] = str(config)
    stderr = tmp_path / "server.stderr"
    with stderr.open("wb") as sink:
        process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import sys; from kiosk.cli import main; sys.exit(main())",
                "server",
                "run",
                "--workers",
                "2",
            ],
            env=env,
            stdout=sink,
            stderr=sink,
            start_new_session=True,
        )
    url = f"https://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, stderr.read_text()
            try:
                if httpx.get(f"{url}/readyz", verify=pki.client_context()).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.2)
        yield url, pki, data, process, stderr
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def test_server_logs_hold_no_personal_data_or_secrets(
    served: tuple[str, Pki, Path, subprocess.Popen[bytes], Path], tmp_path: Path
) -> None:
    url, pki, data, process, stderr = served
    central = Central(
        ServerConfig.from_key_dir(f"sqlite:///{tmp_path / 'central.db'}", data / "server" / "keys")
    )
    keys = KeyStore(tmp_path / "kiosk" / "keys")
    store = Store.open(tmp_path / "kiosk" / "kiosk.db", keys.store_key())
    tls = pki.client_context()
    try:
        token = central.create_token("log-test")
        code = central.issue_code("WAYKANAN")["code"]
        engine = SyncEngine(
            store,
            kiosk_settings(tmp_path / "kiosk", "K-LOG", "WAYKANAN", url),
            keys.signing_key(),
            transport=httpx.HTTPTransport(verify=tls),
        )
        engine.register(code)
        bundle = enrollment_bundle("en-log", "K-LOG", "WAYKANAN", document_number=DOCUMENT)
        bundle = dataclasses.replace(
            bundle,
            traveller=dataclasses.replace(bundle.traveller, surname=SURNAME, given_names=GIVEN),
        )
        event = factories.event("ev-log")
        wrong_office = dataclasses.replace(event, kiosk_id="K-LOG", office_id=SURNAME)
        with store.atomic():
            store.outbox.enqueue("enrollment", "enrollment:en-log", codec.dumps(bundle))
            store.outbox.enqueue("verification_event", "ev-log", codec.dumps(wrong_office))
            store.outbox.enqueue("referral", "bad", json.dumps({"name": GIVEN}).encode())
        audit = AuditLog(store, keys.signing_key())
        audit.append("officer-1", "enroll", "en-log")
        audit.append("officer-1", "decision", "ev-log")
        report = engine.run_once()
        assert (report.push.accepted, report.push.rejected) == (2, 2)
        first = next(iter(store.audit))
        with engine._client() as client:  # a replayed older head: refused, logged
            (outcome,) = client.push(
                [
                    OutboxItem(
                        0,
                        "audit_head:1",
                        "audit_head",
                        first.occurred_at,
                        json.dumps(
                            ChainHead(first.seq, first.entry_hash, first.signature).to_json()
                        ).encode(),
                        0,
                        None,
                    )
                ]
            )
        assert outcome.code == "audit_rollback"
        auth = {"Authorization": f"Bearer {token}"}
        with httpx.Client(verify=tls) as http:
            assert http.get(f"{url}/admin/v1/dashboard", headers=auth).status_code == 200
            bad = http.post(
                f"{url}/admin/v1/feed",
                headers=auth,
                json={"changes": [{"kind": "watchlist", "id": "w", "payload": {"name": GIVEN}}]},
            )
            assert bad.status_code == 400
            odd = http.post(
                f"{url}/admin/v1/registration-codes", headers=auth, json={"office_id": GIVEN * 9}
            )
            assert odd.status_code == 422 and GIVEN not in odd.text
            assert http.get(f"{url}/v1/feed?since=-1&who={SURNAME}").status_code == 422
            assert (
                http.get(
                    f"{url}/admin/v1/kiosks", headers={"Authorization": f"Bearer {code}"}
                ).status_code
                == 401
            )
    finally:
        store.close()
        central.close()
    process.terminate()
    process.wait(timeout=15)
    logs = stderr.read_text()
    for path in (data / "logs").glob("*"):
        logs += path.read_text()
    lines = [json.loads(line) for line in logs.splitlines() if line.startswith("{")]
    # positive controls: the workers' log lines are there, with the token's name
    assert {"msg": "admin request", "actor": "log-test"}.items() <= next(
        line for line in lines if line["msg"] == "admin request"
    ).items()
    assert any(line["msg"] == "audit head refused" for line in lines)
    for secret in (SURNAME, GIVEN, DOCUMENT, DOCUMENT.lower(), code, token, token[4:]):
        assert secret not in logs, secret
    assert "Traceback" not in logs
