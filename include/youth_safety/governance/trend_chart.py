"""A small line chart as inline SVG: one line per series, one point per night, no scripts."""

from __future__ import annotations

import math
from datetime import date
from html import escape

WIDTH, HEIGHT = 360, 180
LEFT, RIGHT, TOP, BOTTOM = 40, 8, 8, 24
SERIES_COLOURS = {"received": "#64748b", "loaded": "#15803d", "quarantined": "#d97706", "excluded": "#7c3aed"}


def _scale_top(largest: int) -> int:
    """The power of ten the vertical axis runs up to (at least 10)."""
    return max(1, math.ceil(math.log10(largest + 1)))


def _y(value: int, decades: int) -> float:
    """Logarithmic height: 0 at the bottom, 10**decades at the top."""
    plot = HEIGHT - TOP - BOTTOM
    return TOP + plot * (1 - math.log10(value + 1) / math.log10(10**decades + 1))


def _x(index: int, count: int) -> float:
    return LEFT + (WIDTH - LEFT - RIGHT) * (index / max(count - 1, 1))


def _tick_label(power: int) -> str:
    """1, 10, 100, 1k, 10k, 100k, 1M, ..."""
    thousands, rest = divmod(power, 3)
    return f"{10**rest}{('', 'k', 'M', 'G')[thousands]}"


def _grid(decades: int, nights: list[date]) -> list[str]:
    """Horizontal lines at 0, 1, 10, 100, ... and the first, middle and last night below."""
    parts = []
    for power in (None, *range(decades + 1)):
        y = _y(0 if power is None else 10**power, decades)
        label = "0" if power is None else _tick_label(power)
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
                     f'<text class="tick" x="{LEFT - 4}" y="{y + 3:.1f}" text-anchor="end">{label}</text>')
    for index in sorted({0, len(nights) // 2, len(nights) - 1}):
        anchor = "start" if index == 0 else "end" if index == len(nights) - 1 else "middle"
        parts.append(f'<text class="tick" x="{_x(index, len(nights)):.1f}" y="{HEIGHT - 6}" '
                     f'text-anchor="{anchor}">{nights[index]:%d %b}</text>')
    return parts


def _hover_bands(nights: list[date], series: dict[str, list[int]]) -> list[str]:
    """An invisible band per night whose tooltip gives that night's numbers."""
    step = (WIDTH - LEFT - RIGHT) / max(len(nights) - 1, 1)
    bands = []
    for index, night in enumerate(nights):
        numbers = "; ".join(f"{name} {values[index]:,}" for name, values in series.items())
        x = _x(index, len(nights)) - step / 2
        bands.append(f'<rect class="band" x="{x:.1f}" y="{TOP}" width="{step:.1f}" height="{HEIGHT - TOP - BOTTOM}">'
                     f"<title>{escape(f'{night:%a %d %b %Y}: {numbers}')}</title></rect>")
    return bands


def trend_svg(label: str, nights: list[date], series: dict[str, list[int]]) -> str:
    """A chart of each series (one value per night) on a shared logarithmic scale."""
    decades = _scale_top(max((max(values) for values in series.values()), default=0))
    lines = []
    for name, values in series.items():
        points = " ".join(f"{_x(i, len(nights)):.1f},{_y(v, decades):.1f}" for i, v in enumerate(values))
        lines.append(f'<polyline class="series {escape(name)}" data-series="{escape(name)}" '
                     f'stroke="{SERIES_COLOURS[name]}" points="{points}"/>')
    body = "".join([*_grid(decades, nights), *lines, *_hover_bands(nights, series)])
    return (f'<svg class="trend" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
            f'role="img" aria-label="{escape(label)}">{body}</svg>')
