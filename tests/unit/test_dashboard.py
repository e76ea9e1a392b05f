"""Dashboard pieces without a server: histogram percentiles, buckets, an event's
rollup contribution, CSP-safe SVG charts, the translation catalogues."""

from __future__ import annotations

import dataclasses
import re
from importlib import resources
from pathlib import Path

import pytest

from models.events import CheckOutcome, CheckResult, Decision, Outcome, ReasonCode
from sync.server import rollups
from sync.server.dashboard import charts, i18n, queries
from sync.server.dashboard.routes import _safe_next
from tests import factories

PACKAGE = Path(str(resources.files("sync.server.dashboard")))


def test_percentiles_from_fixed_buckets() -> None:
    edges = (0.0, 10.0, 20.0, 30.0)
    # 10 values in [0, 10), 10 in [10, 20): the median is the boundary, p95 inside bucket 1
    assert queries.percentile({0: 10, 1: 10}, 0.5, edges) == pytest.approx(10.0)
    assert queries.percentile({0: 10, 1: 10}, 0.95, edges) == pytest.approx(19.0)
    assert queries.percentile({3: 4}, 0.5, edges) == 30.0  # open last bucket: its lower edge
    assert queries.percentile({}, 0.5, edges) != queries.percentile({}, 0.5, edges)  # NaN


def test_buckets() -> None:
    assert rollups.step_bucket(0) == 0
    assert rollups.step_bucket(49.9) == 0 and rollups.step_bucket(50) == 1
    assert rollups.step_bucket(10**7) == len(rollups.STEP_EDGES_MS) - 1
    assert (
        rollups.score_bucket(-0.3) == 0 and rollups.score_bucket(1.7) == rollups.SCORE_BUCKETS - 1
    )
    assert rollups.score_bucket(0.815) == 81


def test_contribution_of_an_event() -> None:
    event = factories.event()  # referred for a face mismatch, survey answer 4
    c = rollups.contribution(event)
    day = event.started_at.strftime("%Y-%m-%d")
    scope = (day, "WAYKANAN", "KIOSK-1")
    assert c["traffic", (day, event.started_at.hour, "WAYKANAN", "KIOSK-1", "refer")] == 1
    assert c["reasons", (*scope, "refer", "face_mismatch")] == 1
    assert c["survey", (*scope, 4)] == 1
    assert c["steps", (*scope, "chip_read", rollups.step_bucket(2310.5))] == 1
    assert not any(name == "scores" for name, _ in c)  # not a pass: no genuine score
    passed = dataclasses.replace(
        event,
        decision=Decision(Outcome.PASS, (ReasonCode.ALL_CHECKS_PASSED,)),
        checks=(
            CheckResult("face_capture", CheckOutcome.FAILED),
            CheckResult("chip_read", CheckOutcome.PASSED),
            CheckResult("fingerprint_capture", CheckOutcome.NOT_RUN),
            CheckResult("watchlist_face", CheckOutcome.FAILED),
        ),
    )
    p = rollups.contribution(passed)
    assert p["scores", (*scope, "face_1to1", 41)] == 1
    assert p["acquisition", (*scope, "face", "failed")] == 1
    assert p["acquisition", (*scope, "document", "acquired")] == 1
    assert not any(k[0] == "acquisition" and "fingerprint" in k[1] for k in p)  # not attempted
    assert p["watchlist", (*scope, "face")] == 1


def test_charts_are_inline_svg_without_styles_or_references() -> None:
    svg = charts.stacked_bars(
        "Pelintas <per> hari", ["a", "b"], [("pass", [3, 4]), ("refer", [1, 0])]
    )
    assert svg.startswith("<svg ") and svg.rstrip().endswith("</svg>")
    assert "style=" not in svg and "<style" not in svg and "<script" not in svg
    assert "http://" not in svg.replace("http://www.w3.org/", "")  # nothing to fetch
    assert 'aria-label="Pelintas &lt;per&gt; hari"' in svg
    assert 'fill="#1b6e3a"' in svg  # a style declaration became a presentation attribute
    hist = charts.histogram("h", queries.SCORE_EDGES, [("face_1to1", {80: 3, 81: 5})], xlabel="x")
    ids = set(re.findall(r' id="([^"]+)"', svg)) & set(re.findall(r' id="([^"]+)"', hist))
    assert ids == set()  # two charts on one page keep their ids apart


def test_csp_safe_translates_font_shorthand() -> None:
    raw = '<?xml version="1.0"?>\n<svg x="1"><style>*{a:b}</style><text style="font: 10px \'DejaVu Sans\'; text-anchor: middle">t</text></svg>'
    out = charts.csp_safe(raw)
    assert out.startswith("<svg ") and "<style" not in out
    assert 'font-size="10px" font-family="\'DejaVu Sans\'" text-anchor="middle"' in out


def test_catalogues_are_complete_and_cover_every_key_used() -> None:
    en, id_ = i18n.catalogue("en"), i18n.catalogue("id")
    assert set(en) == set(id_)
    assert all(en[k] and id_[k] for k in en)
    used: set[str] = set()
    for path in [*PACKAGE.glob("templates/*.html"), *PACKAGE.glob("*.py")]:
        used |= set(re.findall(r"""\bt\(["']([a-z_]+\.[a-z_0-9.]+)["']\)""", path.read_text()))
        used |= set(re.findall(r'"(alert\.[a-z_0-9]+)"', path.read_text()))
    assert used, "the scan found no keys"
    assert used <= set(en), sorted(used - set(en))
    for reason in ReasonCode:
        assert f"reason.{reason.value}" in en
    assert i18n.pick("fr") == i18n.DEFAULT == "id"


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/dashboard/reports/traffic?grain=hour", "/dashboard/reports/traffic?grain=hour"),
        ("https://evil.example/dashboard/fleet", "/dashboard/fleet"),
        ("//evil.example/dashboard/", "/dashboard/fleet"),
        ("/admin/v1/tokens", "/dashboard/fleet"),
        ("/dashboard\\..\\x", "/dashboard/fleet"),
        (None, "/dashboard/fleet"),
    ],
)
def test_next_is_only_a_dashboard_path(target: str | None, expected: str) -> None:
    assert _safe_next(target) == expected
