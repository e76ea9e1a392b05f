"""``gerbang bench chip``: APDUs and time to read a 20 KB DG2 from the virtual chip.

BAC and PACE, short and extended reads, either in-process or through the real
PC/SC stack (``--transport vpcd``: pyscard -> a private pcscd -> vsmartcard's
vpcd -> the virtual chip over TCP). Times are medians over ``--runs``; APDU
counts are exact.
"""

from __future__ import annotations

import platform
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from kiosk.cli.context import emit_json, json_option


@click.group()
def bench() -> None:
    """Benchmarks: face, fingerprint, index, sync, transaction."""


class _Counting:
    """A CardChannel that counts the APDUs it carries."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.apdus = 0

    def transmit(self, apdu: bytes) -> bytes:
        self.apdus += 1
        response: bytes = self.inner.transmit(apdu)
        return response


class _Vpcd:
    """A private pcscd with a vpcd reader for the whole benchmark."""

    def __init__(self, workdir: Any) -> None:
        from devices.backends.pcsc import PcscCardReader
        from devices.virtual.pcsc_harness import PcscHarness

        self.harness = PcscHarness(workdir)
        self.harness.start()
        self.harness.apply_client_env()
        self.reader = PcscCardReader(
            "bench",
            reader=self.harness.slot_name(0),
            allow_virtual_readers=True,
            extended_length=True,
        )
        self.reader.open()

    def session(self, chip: Any) -> tuple[Any, Any, bytes | None]:
        from devices.base import CardChannel
        from devices.virtual.vpcd import VpcdBridge

        bridge = VpcdBridge(chip, port=self.harness.port)
        bridge.insert()
        channel = self.reader.wait_for_card(10.0)
        if not isinstance(channel, CardChannel):
            bridge.remove()
            raise click.ClickException(f"the virtual card did not appear on the reader: {channel}")
        return bridge, channel, self.reader.atr

    def end(self, bridge: Any) -> None:
        bridge.remove()
        self.reader.wait_for_removal(5.0)

    def close(self) -> None:
        self.reader.close()
        self.harness.stop()


def _measure(
    document: Any,
    *,
    pace: bool,
    extended: bool,
    files: tuple[str, ...],
    checks: bool,
    vpcd: _Vpcd | None = None,
) -> tuple[int, float, Any]:
    from devices.epassport.emulator.chip import VirtualPassport
    from devices.epassport.emulator.direct import DirectAppletChannel
    from devices.epassport.session import ReadOptions, read_document

    chip = VirtualPassport(document, pace=pace)
    bridge = None
    if vpcd is None:
        inner: Any = DirectAppletChannel(chip)
        atr: bytes | None = chip.atr()
    else:
        bridge, inner, atr = vpcd.session(chip)
    channel = _Counting(inner)
    options = ReadOptions(
        files=files,
        extended_length=extended,
        chip_authentication=checks,
        active_authentication=checks,
    )
    try:
        start = time.perf_counter()
        result = read_document(channel, document.access_key, options, atr=atr)
        elapsed = (time.perf_counter() - start) * 1000
    finally:
        if vpcd is not None and bridge is not None:
            vpcd.end(bridge)
    return channel.apdus, elapsed, result.file_stats["DG2"]


@bench.command("chip")
@click.option("--runs", default=5, show_default=True, type=click.IntRange(1, 100))
@click.option(
    "--dg2-bytes", default=20 * 1024, show_default=True, type=click.IntRange(2000, 200_000)
)
@click.option(
    "--transport",
    type=click.Choice(["in-process", "vpcd"]),
    default="in-process",
    show_default=True,
    help="vpcd: through pyscard, a private pcscd and vsmartcard's vpcd reader.",
)
@click.option(
    "--reads",
    type=click.Choice(["short", "extended", "both"]),
    default="both",
    show_default=True,
    help="Which READ BINARY style to measure.",
)
@json_option
def chip(runs: int, dg2_bytes: int, transport: str, reads: str, as_json: bool) -> None:
    """APDU count and time for reading a DG2 of --dg2-bytes from the virtual chip."""
    import tempfile

    from devices.epassport.cipher import AES128
    from devices.epassport.emulator.face import synthetic_face_jpeg
    from devices.epassport.emulator.issuer import PaceOffer, issue, new_aa_key, new_ca_key
    from devices.epassport.emulator.pki import TestPKI
    from devices.epassport.emulator.virtual import SPECIMEN_TD3, pad_jpeg

    now = datetime.now(UTC)
    base = synthetic_face_jpeg(240, 320)
    overhead = len(_dg2_for(b"", base)) - len(base)  # DG2 headers around the image
    face = pad_jpeg(base, dg2_bytes - overhead) if dg2_bytes - overhead > len(base) else base
    document = issue(
        list(SPECIMEN_TD3),
        pki=TestPKI.generate(not_before=now.replace(year=now.year - 1)),
        issued_at=now,
        face_jpeg=face,
        pace=(PaceOffer(13, AES128),),
        aa_key=new_aa_key("rsa"),
        ca_key=new_ca_key("ecdh", AES128),
    )
    configs: list[dict[str, Any]] = []
    workdir = tempfile.TemporaryDirectory(prefix="gerbang-bench-pcscd-")
    vpcd = _Vpcd(Path(workdir.name)) if transport == "vpcd" else None
    try:
        styles = ("short", "extended") if reads == "both" else (reads,)
        _run_configs(document, runs, configs, vpcd, styles)
    finally:
        if vpcd is not None:
            vpcd.close()
        workdir.cleanup()
    _report(document, runs, transport, configs, as_json)


def _run_configs(
    document: Any,
    runs: int,
    configs: list[dict[str, Any]],
    vpcd: _Vpcd | None,
    styles: tuple[str, ...],
) -> None:
    for protocol in ("BAC", "PACE"):
        for reads in styles:
            pace, extended = protocol == "PACE", reads == "extended"
            sessions, fulls = [], []
            for _ in range(runs):
                sessions.append(
                    _measure(
                        document,
                        pace=pace,
                        extended=extended,
                        files=("DG2",),
                        checks=False,
                        vpcd=vpcd,
                    )
                )
                fulls.append(
                    _measure(
                        document,
                        pace=pace,
                        extended=extended,
                        files=DEFAULT_FILES,
                        checks=True,
                        vpcd=vpcd,
                    )
                )
            configs.append(
                {
                    "protocol": protocol,
                    "reads": reads,
                    "dg2_apdus": sessions[0][2].apdus,
                    "dg2_ms": round(statistics.median(s[2].ms for s in sessions), 2),
                    "session_apdus": sessions[0][0],
                    "session_ms": round(statistics.median(s[1] for s in sessions), 2),
                    "full_read_apdus": fulls[0][0],
                    "full_read_ms": round(statistics.median(f[1] for f in fulls), 2),
                }
            )


def _report(
    document: Any, runs: int, transport: str, configs: list[dict[str, Any]], as_json: bool
) -> None:
    result = {
        "dg2_bytes": len(document.files["DG2"]),
        "runs": runs,
        "transport": "in-process (DirectAppletChannel)"
        if transport == "in-process"
        else "pyscard + pcscd + vpcd",
        "python": platform.python_version(),
        "notes": (
            "dg2 = the READ BINARY commands of DG2 alone; session = EF.CardAccess, access control, "
            "SELECT, EF.COM and DG2; "
            "full_read = EF.COM, EF.SOD, DG1, DG2, DG11, DG12, DG14, DG15 + CA + AA"
        ),
        "configs": configs,
    }
    if as_json:
        emit_json(result)
        return
    click.echo(f"DG2 of {result['dg2_bytes']} bytes, median of {runs} runs, {result['transport']}")
    for c in configs:
        click.echo(
            f"  {c['protocol']:<4} {c['reads']:<8} DG2: {c['dg2_apdus']:>3} APDUs {c['dg2_ms']:>7.1f} ms"
            f"   session: {c['session_apdus']:>3} APDUs {c['session_ms']:>7.1f} ms"
            f"   full read: {c['full_read_apdus']:>3} APDUs {c['full_read_ms']:>7.1f} ms"
        )


DEFAULT_FILES = ("EF.COM", "EF.SOD", "DG1", "DG2", "DG7", "DG11", "DG12", "DG14", "DG15")


def _dg2_for(_: bytes, jpeg: bytes) -> bytes:
    from devices.epassport.emulator.records import dg2

    return dg2(jpeg, 240, 320)


COMMANDS = (bench,)
