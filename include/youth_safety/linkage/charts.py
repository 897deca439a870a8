"""Splink's model charts as self-contained HTML: the vega libraries Splink ships are inlined.

``SplinkChart.to_html(inline=True)`` is what Splink's ``save_offline_chart`` writes; each
chart goes into the report as an iframe ``srcdoc``, so it renders with no network. The
charts show the model's levels and parameters only, never a value from the data.
"""

from __future__ import annotations

from html import escape
from typing import Any

from youth_safety.linkage.records import INPUT_SCHEMA
from youth_safety.linkage.workspace import linker_for


def _frame(html: str, height: int, title: str) -> str:
    return (f'<iframe title="{escape(title)}" srcdoc="{escape(html, quote=True)}" '
            f'style="width:100%;height:{height}px;border:0"></iframe>')


def model_charts(model: dict[str, Any]) -> dict[str, str]:
    """The match weights chart and the m/u parameters chart of a saved model, as iframes."""
    charts = linker_for(INPUT_SCHEMA.empty_table(), model).visualisations
    return {
        "Match weights": _frame(charts.match_weights_chart().to_html(inline=True), 520, "Match weights"),
        "m and u parameters": _frame(charts.m_u_parameters_chart().to_html(inline=True), 520, "m and u parameters"),
    }
