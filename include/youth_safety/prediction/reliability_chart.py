"""A reliability curve as inline SVG, no scripts: mean score across, observed rate up, the ideal diagonal dashed.

One curve per scorer (the model, and the rule baseline beside it), each point a bin of
``evaluation.reliability_curve`` (``mean_score``, ``observed_rate``, ``count``), sized by its count.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape

WIDTH, HEIGHT = 360, 300
LEFT, RIGHT, TOP, BOTTOM = 44, 10, 10, 34
AXIS_TOPS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0)

Bins = Sequence[Mapping[str, float]]


def _axis_top(largest: float) -> float:
    """Both axes run up to the first of AXIS_TOPS at or above the largest value."""
    return next((top for top in AXIS_TOPS if largest <= top), 1.0)


def reliability_svg(curves: Mapping[str, Bins]) -> str:
    """The chart of each named curve (``{"model": bins, "rule baseline": bins}``), the first drawn boldest."""
    scale = _axis_top(max([0.0, *(max(b["mean_score"], b["observed_rate"]) for bins in curves.values() for b in bins)]))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(v: float) -> float:
        return LEFT + plot_w * min(v, scale) / scale

    def y(v: float) -> float:
        return TOP + plot_h * (1 - min(v, scale) / scale)

    parts = []
    for i in range(5):
        tick = scale * i / 4
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(tick):.1f}" y2="{y(tick):.1f}"/>'
                     f'<text class="tick" x="{LEFT - 4}" y="{y(tick) + 3:.1f}" text-anchor="end">{tick:.3g}</text>'
                     f'<text class="tick" x="{x(tick):.1f}" y="{HEIGHT - BOTTOM + 13}" text-anchor="middle">{tick:.3g}</text>')
    parts.append(f'<text class="tick" x="{LEFT + plot_w / 2:.1f}" y="{HEIGHT - 4}" text-anchor="middle">mean score</text>'
                 f'<text class="tick" transform="translate(10 {TOP + plot_h / 2:.1f}) rotate(-90)" text-anchor="middle">'
                 "observed rate</text>")
    parts.append(f'<line class="ideal" x1="{x(0):.1f}" y1="{y(0):.1f}" x2="{x(scale):.1f}" y2="{y(scale):.1f}"/>')
    for index, (name, bins) in enumerate(curves.items()):
        series = "curve" if index == 0 else "curve other"
        parts.append(f'<text class="legend {series}" x="{LEFT + 8}" y="{TOP + 12 + 13 * index}">{escape(name)}</text>')
        ordered = sorted(bins, key=lambda b: b["mean_score"])
        if not ordered:
            continue
        line = " ".join(f"{x(b['mean_score']):.1f},{y(b['observed_rate']):.1f}" for b in ordered)
        parts.append(f'<polyline class="{series}" points="{line}"/>')
        largest = max(int(b.get("count") or 1) for b in ordered)
        for b in ordered:
            radius = 2.5 + 4 * math.sqrt(int(b.get("count") or 1) / largest)
            label = (f"{name}: mean score {b['mean_score']:.3f}, observed {b['observed_rate']:.3f}, "
                     f"{int(b.get('count') or 0):,} children")
            parts.append(f'<circle class="point {series}" cx="{x(b["mean_score"]):.1f}" cy="{y(b["observed_rate"]):.1f}" '
                         f'r="{radius:.1f}"><title>{escape(label)}</title></circle>')
    return (f'<svg class="calibration" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" '
            f'aria-label="Reliability curve: observed rate against mean score">{"".join(parts)}</svg>')
