"""Hand-written inline SVG charts for the HTML report: no plotting library, no script.

Two kinds: :func:`xy_chart` (series of points over a numeric x axis, as
lines or dots, with some points ringed) and :func:`bar_chart` (one
horizontal bar per labelled row, values in [0, 1]). Every text is escaped:
labels may come from a learner's code (an input's name, an error message).
Coordinates are SVG user units; the chart scales with the page (``viewBox``).
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass

AXIS_COLOUR = "#57606a"
GRID_COLOUR = "#d0d7de"
FONT = 'font-family="sans-serif" font-size="12"'
WIDTH, HEIGHT = 640, 300
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 72, 16, 28, 44


@dataclass(frozen=True)
class Series:
    """Points ``(x, y)`` drawn as a polyline (``"line"``), dots (``"dots"``) or both
    (``"line+dots"``)."""

    label: str
    points: Sequence[tuple[float, float]]
    colour: str
    style: str = "line"


def escape(text: object) -> str:
    """Text safe inside HTML and SVG, attribute values included."""
    return html.escape(str(text), quote=True)


def xy_chart(series: Sequence[Series], *, x_label: str, y_label: str, title: str,
             ringed: Sequence[tuple[float, float]] = (), ring_colour: str = "#ff3b30",
             ring_label: str = "", whole_x: bool = False) -> str:
    """A chart of ``series`` with labelled axes and a legend; ``ringed`` points circled.

    Non-finite points are left out; an empty chart still has its axes.
    whole_x: the x values are counts or indices (ticks only at whole numbers).
    """
    finite = [[p for p in s.points if _finite(p)] for s in series]
    rings = [p for p in ringed if _finite(p)]
    xs = [x for pts in finite for x, _ in pts] + [x for x, _ in rings]
    ys = [y for pts in finite for _, y in pts] + [y for _, y in rings]
    scale = _Scale(_span(xs), _span(ys), whole_x)
    parts = [_open(title, WIDTH, HEIGHT), *scale.axes(x_label, y_label)]
    for s, pts in zip(series, finite, strict=True):
        parts.append(_draw(s, pts, scale))
    parts += [f'<circle class="ring" cx="{scale.x(x):.1f}" cy="{scale.y(y):.1f}" r="6" '
              f'fill="none" stroke="{ring_colour}" stroke-width="2.5"/>' for x, y in rings]
    legend = [(s.label, s.colour) for s in series] + ([(ring_label, ring_colour)] if rings else [])
    parts += _legend(legend)
    parts.append("</svg>")
    return "\n".join(parts)


def bar_chart(rows: Sequence[tuple[str, float]], *, value_label: str, title: str,
              colour: str = "#6f42c1") -> str:
    """One horizontal bar per ``(label, value)``, value in [0, 1] shown as a percentage."""
    row_height, label_width, bar_width = 18, 260, 320
    height = MARGIN_TOP + row_height * len(rows) + MARGIN_BOTTOM
    width = label_width + bar_width + 70
    parts = [_open(title, width, height)]
    for k, (label, value) in enumerate(rows):
        top = MARGIN_TOP + k * row_height
        length = bar_width * min(max(value, 0.0), 1.0)
        parts.append(f'<text x="{label_width - 8}" y="{top + 13}" text-anchor="end" {FONT}>'
                     f"{escape(label)}</text>")
        parts.append(f'<rect class="bar" x="{label_width}" y="{top + 3}" width="{length:.1f}" '
                     f'height="{row_height - 6}" fill="{colour}"/>')
        parts.append(f'<text x="{label_width + length + 6:.1f}" y="{top + 13}" {FONT}>'
                     f"{value:.0%}</text>")
    bottom = MARGIN_TOP + row_height * len(rows)
    parts.append(f'<line x1="{label_width}" y1="{MARGIN_TOP}" x2="{label_width}" y2="{bottom}" '
                 f'stroke="{AXIS_COLOUR}"/>')
    parts.append(f'<text x="{label_width + bar_width / 2}" y="{bottom + 28}" '
                 f'text-anchor="middle" {FONT}>{escape(value_label)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


# -- pieces ------------------------------------------------------------------------------

def _open(title: str, width: int, height: int) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
            f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}">'
            f"<title>{escape(title)}</title>")


def _draw(s: Series, points: list[tuple[float, float]], scale: _Scale) -> str:
    parts = []
    if "line" in s.style:
        path = " ".join(f"{scale.x(x):.1f},{scale.y(y):.1f}" for x, y in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{s.colour}" '
                     'stroke-width="2.5" stroke-linejoin="round"/>')
    if "dots" in s.style:
        radius = 3 if s.style == "dots" else 2.5
        parts += [f'<circle cx="{scale.x(x):.1f}" cy="{scale.y(y):.1f}" r="{radius}"/>'
                  for x, y in points]
    return (f'<g class="series" data-label="{escape(s.label)}" fill="{s.colour}">'
            + "".join(parts) + "</g>")


def _legend(entries: list[tuple[str, str]]) -> list[str]:
    parts, x = [], MARGIN_LEFT
    for label, colour in entries:
        parts.append(f'<rect x="{x}" y="8" width="12" height="12" fill="{colour}"/>')
        parts.append(f'<text x="{x + 16}" y="18" {FONT}>{escape(label)}</text>')
        x += 28 + 7 * len(label)
    return parts


def _finite(point: tuple[float | None, float | None]) -> bool:
    return all(v is not None and math.isfinite(v) for v in point)


def _span(values: list[float]) -> tuple[float, float]:
    """The range to show: the data's, widened a little; (0, 1) for no data."""
    if not values:
        return 0.0, 1.0
    low, high = min(values), max(values)
    if high == low:
        return low - 1.0, high + 1.0
    pad = 0.05 * (high - low)
    return low - pad, high + pad


class _Scale:
    """Data coordinates -> SVG coordinates inside the margins."""

    def __init__(self, xs: tuple[float, float], ys: tuple[float, float], whole_x: bool):
        self.xs, self.ys, self.whole_x = xs, ys, whole_x
        self.left, self.right = MARGIN_LEFT, WIDTH - MARGIN_RIGHT
        self.top, self.bottom = MARGIN_TOP, HEIGHT - MARGIN_BOTTOM

    def x(self, value: float) -> float:
        low, high = self.xs
        return self.left + (value - low) / (high - low) * (self.right - self.left)

    def y(self, value: float) -> float:
        low, high = self.ys
        return self.bottom - (value - low) / (high - low) * (self.bottom - self.top)

    def axes(self, x_label: str, y_label: str) -> list[str]:
        parts = []
        for tick in ticks(*self.ys):
            y = self.y(tick)
            parts.append(f'<line x1="{self.left}" y1="{y:.1f}" x2="{self.right}" y2="{y:.1f}" '
                         f'stroke="{GRID_COLOUR}"/>')
            parts.append(f'<text x="{self.left - 6}" y="{y + 4:.1f}" text-anchor="end" {FONT}>'
                         f"{tick:g}</text>")
        for tick in ticks(*self.xs, whole=self.whole_x):
            x = self.x(tick)
            parts.append(f'<text x="{x:.1f}" y="{self.bottom + 16}" text-anchor="middle" '
                         f"{FONT}>{tick:g}</text>")
        parts.append(f'<polyline points="{self.left},{self.top} {self.left},{self.bottom} '
                     f'{self.right},{self.bottom}" fill="none" stroke="{AXIS_COLOUR}"/>')
        middle = (self.top + self.bottom) / 2
        parts.append(f'<text x="{(self.left + self.right) / 2}" y="{HEIGHT - 8}" '
                     f'text-anchor="middle" {FONT}>{escape(x_label)}</text>')
        parts.append(f'<text x="16" y="{middle}" text-anchor="middle" {FONT} '
                     f'transform="rotate(-90 16 {middle})">{escape(y_label)}</text>')
        return parts


def ticks(low: float, high: float, count: int = 5, whole: bool = False) -> list[float]:
    """About ``count`` round values (1, 2 or 5 times a power of ten) within [low, high];
    ``whole``: whole numbers only."""
    raw = max((high - low) / max(count, 1), 1.0 if whole else 0.0)
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.ceil(low / step) * step
    values, k = [], 0
    while first + k * step <= high + 1e-9 * step:
        values.append(round(first + k * step, 12) + 0.0)
        k += 1
    return values
