from __future__ import annotations

import io
import json
import logging
from pathlib import Path

from kiosk import logsetup


def test_only_allowed_fields_reach_the_log(tmp_path: Path) -> None:
    stream = io.StringIO()
    logsetup.configure(level="DEBUG", log_dir=tmp_path, stream=stream, json_stderr=True)
    try:
        logging.getLogger("gerbang.test").info(
            "decision made",
            extra={
                "event_id": "ev-1",
                "outcome": "refer",
                "mrz": "P<IDNSIREGAR<<MARIA",
                "template": b"\x01\x02",
            },
        )
    finally:
        logsetup.configure(level="WARNING", log_dir=None)
    line = json.loads(stream.getvalue().strip().splitlines()[-1])
    assert line["event_id"] == "ev-1" and line["outcome"] == "refer"
    assert "mrz" not in line and "template" not in line
    on_disk = (tmp_path / "gerbang.log").read_text()
    assert "SIREGAR" not in on_disk and "ev-1" in on_disk


def test_exceptions_log_their_type_only(tmp_path: Path) -> None:
    stream = io.StringIO()
    logsetup.configure(level="INFO", stream=stream, json_stderr=True)
    try:
        mrz_line = "P<IDNSIREGAR"  # a local value that a full traceback could show
        try:
            int(mrz_line)
        except ValueError:
            logging.getLogger("gerbang.test").exception("capture failed")
    finally:
        logsetup.configure(level="WARNING", log_dir=None)
    line = json.loads(stream.getvalue().strip().splitlines()[-1])
    assert line["exc"] == "ValueError"
    assert "SIREGAR" not in stream.getvalue()


def test_configure_is_idempotent() -> None:
    root = logging.getLogger()
    logsetup.configure(level="INFO")
    once = list(root.handlers)
    logsetup.configure(level="INFO")
    assert len(root.handlers) == len(once)
    logsetup.configure(level="WARNING")
