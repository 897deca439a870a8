"""HTML building blocks of the governance report: every value passes through ``text``."""

from __future__ import annotations

import html
from pathlib import Path
from string import Template

from youth_safety.report_style import BASE_CSS

TEMPLATE_PATH = Path(__file__).with_name("report_template.html")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BADGE_CLASSES = {"loaded": "ok", "pass": "ok", "on time": "ok", "rejected": "bad", "fail": "bad", "late": "bad",
                 "blocked": "warn"}


class Html(str):
    """Markup built here from escaped parts: written as it is."""


def neutralise(value: str) -> str:
    """Prefix a quote to text a spreadsheet would otherwise run as a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def text(value: object) -> Html:
    """Any value as safe HTML: markup as is, counts with separators, the rest neutralised and escaped."""
    if isinstance(value, Html):
        return value
    if isinstance(value, int):
        return Html(f"{value:,}")
    return Html(html.escape(neutralise("" if value is None else str(value))))


def badge(value: str) -> Html:
    """A coloured label for a status or check result."""
    return Html(f'<span class="badge {BADGE_CLASSES.get(value, "")}">{text(value)}</span>')


def nowrap(value: object) -> Html:
    """A value kept on one line (rule codes)."""
    return Html(f'<span class="nowrap">{text(value)}</span>')


def codes(values: list[str]) -> Html:
    """Names or values as a list of code chips."""
    return Html(" ".join(f"<code>{text(v)}</code>" for v in values))


def table(headers: list[str], rows: list[list[object]], empty: str = "None tonight.") -> Html:
    """A table; integer cells are right-aligned; a note instead when there are no rows."""
    if not rows:
        return Html(f'<p class="none">{text(empty)}</p>')
    head = "".join(f"<th>{text(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f'<td class="num">{text(v)}</td>' if isinstance(v, int) else f"<td>{text(v)}</td>"
                         for v in row) + "</tr>"
        for row in rows
    )
    return Html(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


def section(title: str, how_to_read: str, *parts: Html) -> Html:
    """A titled section with its one-line reading guide."""
    return Html(f'<section><h2>{text(title)}</h2><p class="how"><strong>How to read this:</strong> '
                f'{text(how_to_read)}</p>{"".join(parts)}</section>')


def page(title: str, subtitle: str, sections: list[Html]) -> str:
    """The whole document, stylesheet inline."""
    return Template(TEMPLATE_PATH.read_text()).substitute(
        base_css=BASE_CSS, title=text(title), subtitle=text(subtitle), body="".join(sections))


def tiles(items: list[tuple[str, int, bool]]) -> Html:
    """Headline counts; a tile is marked when its count needs attention."""
    return Html('<div class="tiles">' + "".join(
        f'<div class="tile{" bad" if alarm else ""}"><b>{text(count)}</b>{text(label)}</div>'
        for label, count, alarm in items) + "</div>")
