"""A settings file with a complete set of virtual kiosk devices (tests only): the MRZ page
on a virtual scanner, the emulated ePassport on a loopback reader (its test PKI in
``pki/``), a camera playing the demo portrait, a log gate, and optionally a fingerprint
scanner playing a folder of prints."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from kiosk.demo import PORTRAIT, demo_mrz, write_frames, write_page


def write_settings(
    folder: Path,
    *,
    mode: str = "development",
    server_url: str = "",
    frames: int = 8,
    fps: int = 15,
    prints: Path | None = None,
    gate: bool = True,
    slap: bool = False,
) -> Path:
    mrz = demo_mrz(datetime.now(UTC).date() + timedelta(days=900))
    write_page(folder / "page", mrz)
    write_frames(folder / "frames", count=frames)
    applet = {"pki_dir": "pki", "mrz": list(mrz), "face": str(PORTRAIT)}
    text = f"""
[kiosk]
id = "KIOSK-T-01"
office_id = "T"
mode = "{mode}"
step_timeout_s = 30

[paths]
data_dir = "{folder / "data"}"

[logging]
to_file = false

[sync]
server_url = "{server_url}"

[documents]
trust_paths = ["pki"]

[[devices.device]]
id = "document"
kind = "document_scanner"
backend = "virtual-document"
options = {{ source = "page" }}

[[devices.device]]
id = "passport-reader"
kind = "card_reader"
backend = "virtual-loopback"
options = {{ applet = "epassport", applet_options = {json.dumps(applet).replace('":', '" =')} }}

[[devices.device]]
id = "camera"
kind = "camera"
backend = "virtual-camera"
options = {{ source = "frames", fps = {fps} }}
"""
    if prints is not None:
        text += f"""
[[devices.device]]
id = "finger"
kind = "fingerprint"
backend = "virtual-fingerprint"
options = {{ source = "{prints}", ppi = 500, slap = {str(slap).lower()} }}
"""
    if gate:
        text += """
[[devices.device]]
id = "gate"
kind = "gate"
backend = "log"
"""
    path = folder / "gerbang.toml"
    path.write_text(text)
    return path
