"""Charts drawn on the server with matplotlib, inlined in the page as SVG.

The page's Content-Security-Policy allows no inline styles, and matplotlib's
SVG carries its styling in ``style="..."`` attributes and a ``<style>`` element.
:func:`csp_safe` turns each declaration into the equivalent SVG presentation
attribute (``fill``, ``stroke``, ``font-size`` ...), which CSP does not govern,
and drops the ``<style>`` element (its two rules become attributes of the root).
Nothing is fetched: the fonts are the renderer's (text stays text, in DejaVu Sans).
"""

from __future__ import annotations

import hashlib
import html
import io
import re
from collections.abc import Sequence
from typing import Any

_STYLE_ATTR = re.compile(r'\sstyle="([^"]*)"')
_STYLE_ELEMENT = re.compile(r"<style[^>]*>.*?</style>", re.DOTALL)
_PREAMBLE = re.compile(r"^.*?(?=<svg)", re.DOTALL)
_COMMENTS = re.compile(r"<!--.*?-->", re.DOTALL)
_METADATA = re.compile(r"<metadata>.*?</metadata>", re.DOTALL)
_FONT = re.compile(
    r"^(?:(?P<style>italic|oblique|normal)\s+)?(?:(?P<weight>bold|\d{3})\s+)?(?P<size>[\d.]+px)\s+(?P<family>.+)$"
)

PALETTE = ("#1b6e3a", "#e0a100", "#b3261e", "#2f5da8", "#6b4fa0", "#3c8d8d")


def _attributes(declarations: str) -> str:
    attrs: list[str] = []
    for part in declarations.split(";"):
        if ":" not in part:
            continue
        name, value = (x.strip() for x in part.split(":", 1))
        if name == "font":
            m = _FONT.match(value)
            if m is None:
                continue
            attrs.append(f'font-size="{m["size"]}"')
            attrs.append(f'font-family="{m["family"].replace(chr(34), "")}"')
            if m["style"]:
                attrs.append(f'font-style="{m["style"]}"')
            if m["weight"]:
                attrs.append(f'font-weight="{m["weight"]}"')
        elif re.fullmatch(r"[a-z-]+", name) and '"' not in value:
            attrs.append(f'{name}="{value}"')
    return (" " + " ".join(attrs)) if attrs else ""


def csp_safe(svg: str) -> str:
    """matplotlib's SVG as an inline ``<svg>`` element without any style attribute or element."""
    svg = _PREAMBLE.sub("", svg, count=1)
    svg = _COMMENTS.sub("", svg)
    svg = _METADATA.sub("", svg)
    svg = _STYLE_ELEMENT.sub("", svg)
    svg = _STYLE_ATTR.sub(lambda m: _attributes(m.group(1)), svg)
    # The <style> element's rules: *{stroke-linejoin: round; stroke-linecap: butt}
    svg = svg.replace("<svg ", '<svg stroke-linejoin="round" stroke-linecap="butt" role="img" ', 1)
    return svg.strip()


def _figure(width: float = 7.5, height: float = 2.8) -> Any:
    from matplotlib.figure import Figure  # heavy: imported when a chart is drawn

    fig = Figure(figsize=(width, height), dpi=96)
    fig.set_layout_engine("constrained")
    return fig


def _render(fig: Any, title: str) -> str:
    import matplotlib as mpl

    buf = io.StringIO()
    with mpl.rc_context({"svg.fonttype": "none", "svg.hashsalt": "gerbang", "font.size": 9}):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    svg = _unique_ids(csp_safe(buf.getvalue()), title)
    label = html.escape(title, quote=True)
    return svg.replace("<svg ", f'<svg aria-label="{label}" ', 1)


def _unique_ids(svg: str, title: str) -> str:
    """Prefix the SVG's ids, so several charts on one page keep theirs apart."""
    prefix = "c" + hashlib.sha256(f"{title}{len(svg)}".encode()).hexdigest()[:8] + "-"
    svg = svg.replace(' id="', f' id="{prefix}')
    svg = svg.replace("url(#", f"url(#{prefix}")
    return svg.replace('xlink:href="#', f'xlink:href="#{prefix}')


def stacked_bars(
    title: str, labels: Sequence[str], series: Sequence[tuple[str, Sequence[float]]]
) -> str:
    """Stacked bars (e.g. travellers per period by outcome)."""
    fig = _figure()
    ax = fig.add_subplot()
    bottom = [0.0] * len(labels)
    x = list(range(len(labels)))
    for i, (name, values) in enumerate(series):
        ax.bar(x, values, bottom=bottom, label=name, color=PALETTE[i % len(PALETTE)], width=0.8)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    _xticks(ax, labels)
    ax.set_title(title, loc="left")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return _render(fig, title)


def bars(
    title: str, labels: Sequence[str], values: Sequence[float], *, percent: bool = False
) -> str:
    fig = _figure(height=max(2.2, 0.32 * len(labels) + 0.8))
    ax = fig.add_subplot()
    y = list(range(len(labels)))
    ax.barh(y, values, color=PALETTE[3])
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    if percent:
        ax.xaxis.set_major_formatter(lambda v, _pos: f"{v:.1%}")
    ax.set_title(title, loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    return _render(fig, title)


def histogram(
    title: str, edges: Sequence[float], series: Sequence[tuple[str, dict[int, int]]], *, xlabel: str
) -> str:
    """Histograms on fixed buckets (one step series per name), as shares of each total."""
    fig = _figure()
    ax = fig.add_subplot()
    for i, (name, hist) in enumerate(series):
        total = sum(hist.values()) or 1
        top = max(hist) + 2 if hist else 2
        xs = [edges[min(b, len(edges) - 1)] for b in range(min(top, len(edges)))]
        ys = [hist.get(b, 0) / total for b in range(len(xs))]
        ax.step(xs, ys, where="post", label=name, color=PALETTE[i % len(PALETTE)])
    ax.set_xlabel(xlabel)
    ax.yaxis.set_major_formatter(lambda v, _pos: f"{v:.0%}")
    ax.set_title(title, loc="left")
    if len(series) > 1:
        ax.legend(loc="upper right", fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return _render(fig, title)


def lines(title: str, labels: Sequence[str], series: Sequence[tuple[str, Sequence[float]]]) -> str:
    fig = _figure()
    ax = fig.add_subplot()
    x = list(range(len(labels)))
    for i, (name, values) in enumerate(series):
        marker = "o" if len(labels) <= 62 else ""
        ax.plot(x, values, marker=marker, markersize=3, label=name, color=PALETTE[i % len(PALETTE)])
    _xticks(ax, labels)
    ax.set_title(title, loc="left")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return _render(fig, title)


def _xticks(ax: Any, labels: Sequence[str]) -> None:
    step = max(1, len(labels) // 12)
    ticks = list(range(0, len(labels), step))
    ax.set_xticks(ticks, [labels[i] for i in ticks], rotation=30, ha="right", fontsize=7)
