"""``gerbang bench chip``: APDUs and time to read a 20 KB DG2 from the virtual chip.

BAC and PACE, short and extended reads, in-process (the lead reruns it through
pcscd + vpcd after the device layer lands: ``--transport`` then names the reader).
Times are medians over ``--runs``; APDU counts are exact.
"""

from __future__ import annotations

import platform
import statistics
import time
from datetime import UTC, datetime
from typing import Any

import click

from kiosk.cli.context import emit_json, json_option


@click.group()
def bench() -> None:
    """Benchmarks: face, fingerprint, index, sync, transaction."""


def _measure(
    document: Any, *, pace: bool, extended: bool, files: tuple[str, ...], checks: bool
) -> tuple[int, float, Any]:
    from devices.epassport.emulator.chip import VirtualPassport
    from devices.epassport.emulator.direct import DirectAppletChannel
    from devices.epassport.session import ReadOptions, read_document

    chip = VirtualPassport(document, pace=pace)
    channel = DirectAppletChannel(chip)
    options = ReadOptions(
        files=files,
        extended_length=extended,
        chip_authentication=checks,
        active_authentication=checks,
    )
    start = time.perf_counter()
    result = read_document(channel, document.access_key, options, atr=chip.atr())
    return channel.apdus, (time.perf_counter() - start) * 1000, result.file_stats["DG2"]


@bench.command("chip")
@click.option("--runs", default=5, show_default=True, type=click.IntRange(1, 100))
@click.option(
    "--dg2-bytes", default=20 * 1024, show_default=True, type=click.IntRange(2000, 200_000)
)
@json_option
def chip(runs: int, dg2_bytes: int, as_json: bool) -> None:
    """APDU count and time for reading a DG2 of --dg2-bytes from the virtual chip."""
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
    for protocol in ("BAC", "PACE"):
        for reads in ("short", "extended"):
            pace, extended = protocol == "PACE", reads == "extended"
            sessions, fulls = [], []
            for _ in range(runs):
                sessions.append(
                    _measure(document, pace=pace, extended=extended, files=("DG2",), checks=False)
                )
                fulls.append(
                    _measure(
                        document, pace=pace, extended=extended, files=DEFAULT_FILES, checks=True
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
    result = {
        "dg2_bytes": len(document.files["DG2"]),
        "runs": runs,
        "transport": "in-process (DirectAppletChannel)",
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
