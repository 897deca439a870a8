"""The nightly data-quality report: one HTML page a governance lead reads, and its file table as CSV.

Reads the warehouse's audit tables read-only. Per source: what arrived, loaded, was held
back or refused and why; how fresh each extract is; 30 nights of trend; and the register
of processing beside it. Quarantined values are shown only for columns that identify
nobody and hold no special-category data; for the others only rule, column and counts.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

from youth_safety.config import SOURCES, TIMEZONE, Settings
from youth_safety.contracts import all_contracts
from youth_safety.governance.register import register
from youth_safety.governance.report_html import (Html, badge, codes, neutralise, nowrap, page, section, table, text,
                                                 tiles)
from youth_safety.governance.trend_chart import SERIES_COLOURS, trend_svg
from youth_safety.quality.rules import CATALOGUE
from youth_safety.warehouse import connect

TREND_NIGHTS = 30
ROW_COUNTS = ("rows_received", "rows_loaded", "rows_quarantined", "rows_excluded")
STATUSES = ("loaded", "rejected", "blocked")
EXAMPLES_PER_COLUMN = 3
FILE_FIELDS = ("source", "extract", "file_name", "status", "extract_night", "delivered_night", "rows_received",
               "rows_loaded", "rows_quarantined", "rows_excluded", "conservation", "rejection_rule",
               "rejection_reason", "dropped_columns", "withheld_columns")
TONIGHT = "join audit.file_loads f using (load_id) where f.run_night = $night and f.status = 'loaded'"
RULES_SQL = """
    select t.source, t.rule_code, count(distinct (t.load_id, t.source_row_number)) as rows
    from {table} t """ + TONIGHT + " group by all order by all"
COLUMNS_SQL = """
    select t.source, t.rule_code, t.extract, t.column_name, count(distinct (t.load_id, t.source_row_number)) as rows,
        {examples} as examples
    from {table} t """ + TONIGHT + " group by all order by all"
EXAMPLES = f"""list_slice(list(distinct t.masked_value order by t.masked_value)
                          filter (where t.masked_value is not null), 1, {EXAMPLES_PER_COLUMN})"""
QUERIES = {
    "files": "select * from audit.file_loads where run_night = $night order by all",
    "quarantine_rules": RULES_SQL.format(table="audit.quarantine"),
    "quarantine_columns": COLUMNS_SQL.format(table="audit.quarantine", examples=EXAMPLES),
    "warning_rules": RULES_SQL.format(table="audit.rule_warnings"),
    "warning_columns": COLUMNS_SQL.format(table="audit.rule_warnings", examples="[]::varchar[]"),
    "exclusions": f"""
        select e.source, e.rule_code, e.extract, count(distinct (e.load_id, e.source_row_number)) as rows
        from audit.gdpr_exclusions e {TONIGHT} group by all order by all""",
    "freshness": """
        select source, extract, max(extract_night) filter (where status = 'loaded') as latest,
            list(distinct status order by status) filter (where run_night = $night) as tonight
        from audit.file_loads where run_night <= $night group by all""",
    "arrivals": """
        select source, status, missing_extracts from audit.source_arrivals where night = $night
        qualify row_number() over (partition by source order by checked_at desc) = 1""",
    "trend": f"""
        select source, run_night, sum(rows_received) as received, sum(rows_loaded) as loaded,
            sum(rows_quarantined) as quarantined, sum(rows_excluded) as excluded
        from audit.file_loads where run_night > $night - {TREND_NIGHTS} and run_night <= $night group by all""",
}


class ReportError(RuntimeError):
    """The report cannot be written: no warehouse, or no audit tables in it."""


def report_path(settings: Settings, night: date, suffix: str) -> Path:
    """<reports>/data_quality_<night>.<suffix> (html or csv)."""
    return settings.reports_dir / f"data_quality_{night.isoformat()}.{suffix}"


def _source_rank(row: dict) -> tuple[int, str]:
    """Sources in the order of SOURCES, any other after them."""
    source = row["source"]
    return (SOURCES.index(source) if source in SOURCES else len(SOURCES), source)


def read_audit(con: duckdb.DuckDBPyConnection, night: date) -> dict[str, list[dict]]:
    """The rows of each query in QUERIES for the night, as dicts ordered by source."""
    found = {}
    for name, sql in QUERIES.items():
        cursor = con.execute(sql, {"night": night})
        columns = [d[0] for d in cursor.description]
        found[name] = sorted((dict(zip(columns, row)) for row in cursor.fetchall()), key=_source_rank)
    return found


@cache
def _value_safe_columns() -> frozenset[tuple[str, str, str]]:
    """(source, extract, column) whose quarantined values may be shown: privacy class ``none``."""
    return frozenset((c.source, c.extract, f.name) for c in all_contracts() for f in c.fields if f.privacy == "none")


def conserved(file: dict) -> bool:
    """Every row is accounted for: a loaded file's are loaded, quarantined or excluded; a refused file loads none."""
    if file["status"] == "loaded":
        return file["rows_received"] == file["rows_loaded"] + file["rows_quarantined"] + file["rows_excluded"]
    return file["rows_loaded"] == 0


def file_record(file: dict) -> dict:
    """One row of the per-file table (page and CSV), column lists joined with '; '."""
    record = {field: file.get(field) for field in FILE_FIELDS}
    record["conservation"] = "pass" if conserved(file) else "fail"
    for field in ("dropped_columns", "withheld_columns"):
        record[field] = "; ".join(file[field] or [])
    return record


def write_csv(path: Path, files: list[dict]) -> None:
    """The per-file table as CSV, every text cell neutralised against spreadsheet formulas."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, FILE_FIELDS)
        writer.writeheader()
        for record in map(file_record, files):
            writer.writerow({k: neutralise(v) if isinstance(v, str) else v for k, v in record.items()})


def _message(code: str | None) -> str:
    """The catalogue's one-sentence explanation of a rule."""
    found = CATALOGUE.get(code or "")
    return found.message if found else "Not in the rule catalogue."


def _tally(files: list[dict]) -> dict[str, int]:
    """Rows by kind, files by status, and files failing the conservation check."""
    tally = {kind: sum(f[kind] for f in files) for kind in ROW_COUNTS}
    tally |= {status: sum(f["status"] == status for f in files) for status in STATUSES}
    tally["unbalanced"] = sum(not conserved(f) for f in files)
    return tally


def _overview(files: list[dict]) -> Html:
    """Headline tiles and one line per source."""
    rows = []
    for source in SOURCES:
        mine = [f for f in files if f["source"] == source]
        t = _tally(mine)
        rows.append([source, badge("on time" if mine else "late"), *(t[s] for s in STATUSES),
                     *(t[k] for k in ROW_COUNTS), badge("fail" if t["unbalanced"] else "pass") if mine else "no files"])
    t = _tally(files)
    late = len(SOURCES) - len({f["source"] for f in files} & set(SOURCES))
    headline = tiles([
        ("files judged", len(files), False),
        ("rows received", t["rows_received"], False),
        ("rows loaded", t["rows_loaded"], False),
        ("rows quarantined", t["rows_quarantined"], t["rows_quarantined"] > 0),
        ("rows excluded (GDPR)", t["rows_excluded"], False),
        ("files rejected", t["rejected"], t["rejected"] > 0),
        ("files blocked", t["blocked"], t["blocked"] > 0),
        ("files not balancing", t["unbalanced"], t["unbalanced"] > 0),
        ("sources late", late, late > 0),
    ])
    return section(
        "Tonight at a glance",
        "Red tiles need attention. A source is on time when it sent at least one file tonight and late when it sent "
        "none; it balances when every row of its files is accounted for (see the next section).",
        headline,
        table(["Source", "Tonight", "Files loaded", "Rejected", "Blocked", "Rows received", "Loaded", "Quarantined",
               "Excluded", "Balances"], rows),
    )


def _files_section(files: list[dict]) -> Html:
    rows = [[r["source"], r["extract"], r["file_name"], badge(r["status"]), r["extract_night"], r["rows_received"],
             r["rows_loaded"], r["rows_quarantined"], r["rows_excluded"], badge(r["conservation"])]
            for r in map(file_record, files)]
    return section(
        "Files judged tonight",
        "One line per file. A loaded file passes the check when rows received = loaded + quarantined + excluded; "
        "a rejected or blocked file passes when none of its rows were loaded. A fail means rows went missing or "
        "were counted twice: ask the platform team before using tonight's figures. The same table is in the CSV.",
        table(["Source", "Extract", "File", "Status", "Extract night", "Received", "Loaded", "Quarantined",
               "Excluded", "Check"], rows),
    )


def _by(rows: list[dict], *keys: str) -> dict[tuple, list[dict]]:
    """Rows grouped by the values of some keys, groups in first-seen order."""
    groups = defaultdict(list)
    for row in rows:
        groups[tuple(row[k] for k in keys)].append(row)
    return groups


def _examples(columns: list[dict]) -> Html:
    """Sample quarantined values of the columns that identify nobody; nothing of the others."""
    safe = _value_safe_columns()
    shown = [codes([f"{c['extract']}.{c['column_name']}"]) + ": " + codes(c["examples"]) for c in columns
             if c["examples"] and (c["source"], c["extract"], c["column_name"]) in safe]
    return Html("<br>".join(shown))


def _rule_rows(rules: list[dict], columns: list[dict]) -> list[list[object]]:
    """Per source and rule: code, message, rows, the columns involved with counts, example values."""
    by_rule = _by(columns, "source", "rule_code")
    rows = []
    for rule in rules:
        involved = by_rule[(rule["source"], rule["rule_code"])]
        names = "; ".join(f"{c['extract']}.{c['column_name'] or '(whole row)'} ({c['rows']:,})" for c in involved)
        rows.append([rule["source"], nowrap(rule["rule_code"]), _message(rule["rule_code"]), rule["rows"], names,
                     _examples(involved)])
    return rows


def _quarantine_section(audit: dict[str, list[dict]]) -> Html:
    headers = ["Source", "Rule", "What it means", "Rows", "Columns involved"]
    warnings = [row[:5] for row in _rule_rows(audit["warning_rules"], audit["warning_columns"])]
    return section(
        "Quarantined rows by rule",
        "Rows held back because a value broke a rule; they are not in the warehouse until the agency corrects and "
        "re-sends them. Rows count each row once per rule; a column's count is in brackets. Example values appear "
        "only for columns that identify nobody and hold no special-category data; for the others we show only the "
        "rule, the column and the count. The second table lists rules set to warn only: those rows were loaded.",
        table([*headers, "Example values"], _rule_rows(audit["quarantine_rules"], audit["quarantine_columns"]),
              "No rows were quarantined tonight."),
        table([*headers[:1], "Rule (warning only)", *headers[2:]], warnings, "No rule warnings tonight."),
    )


def _exclusions_section(audit: dict[str, list[dict]]) -> Html:
    rows = []
    for (source, code), extracts in _by(audit["exclusions"], "source", "rule_code").items():
        spread = "; ".join(f"{e['extract']} ({e['rows']:,})" for e in extracts)
        rows.append([source, nowrap(code), _message(code), sum(e["rows"] for e in extracts), spread])
    return section(
        "GDPR exclusions by rule",
        "Rows the partnership may not hold (outside its purpose, past retention, or the person objected). They are "
        "not errors in the data and are kept out on purpose.",
        table(["Source", "Rule", "What it means", "Rows", "Extracts"], rows, "No GDPR exclusions tonight."),
    )


def _refused_section(files: list[dict]) -> Html:
    rejected = [f for f in files if f["status"] == "rejected"]
    blocked = [f for f in files if f["status"] == "blocked"]
    because = {source: [f["file_name"] for f in group] for (source,), group in _by(rejected, "source").items()}
    return section(
        "Rejected and blocked files",
        "A rejected file broke a whole-file rule and none of it was loaded; the agency must send it again. A blocked "
        "file was fine but is held because another file of the same source was rejected tonight, so the source's "
        "night is never published half-loaded.",
        table(["Source", "Rejected file", "Rule", "What it means", "Reason"],
              [[f["source"], f["file_name"], nowrap(f["rejection_rule"]), _message(f["rejection_rule"]),
                f["rejection_reason"]] for f in rejected], "No file was rejected tonight."),
        table(["Source", "Blocked file", "Held because this file was rejected"],
              [[f["source"], f["file_name"], codes(because.get(f["source"], []))] for f in blocked],
              "No file was blocked tonight."),
    )


def _columns_section(files: list[dict]) -> Html:
    rows = [[f["source"], f["file_name"], codes(f["dropped_columns"] or []), codes(f["withheld_columns"] or [])]
            for f in files if f["dropped_columns"] or f["withheld_columns"]]
    return section(
        "Dropped and withheld columns",
        "Dropped: columns the agency sent that are not in the agreed contract; they were never loaded and only "
        "their names are shown. Withheld: special-category columns (such as ethnicity or health) from a source "
        "with no recorded Article 9 condition; their values were not loaded.",
        table(["Source", "File", "Dropped columns (names only)", "Withheld special-category columns"], rows,
              "No column was dropped or withheld tonight."),
    )


def _arrival_badge(source: str, arrivals: dict[str, dict], sent: set[str]) -> Html:
    """On time, or late with the extracts still missing at the cut-off (audit.source_arrivals, written by the nightly run)."""
    if source in arrivals:
        found = arrivals[source]
        if found["status"] == "arrived":
            return badge("on time")
        return Html(badge("late") + text(" missing: " + ", ".join(found["missing_extracts"])))
    return badge("on time" if source in sent else "late")


def _freshness_section(audit: dict[str, list[dict]], night: date) -> Html:
    found = {(r["source"], r["extract"]): r for r in audit["freshness"]}
    arrivals = {r["source"]: r for r in audit["arrivals"]}
    arrived = {f["source"] for f in audit["files"]}
    rows, seen = [], set()
    for contract in all_contracts():
        entry = found.get((contract.source, contract.extract), {})
        latest = entry.get("latest")
        first = contract.source not in seen
        seen.add(contract.source)
        rows.append([
            contract.source if first else "",
            _arrival_badge(contract.source, arrivals, arrived) if first else "",
            contract.extract,
            latest or "never loaded",
            (night - latest).days if latest else "",
            ", ".join(entry.get("tonight") or []) or "no file",
        ])
    return section(
        "Freshness",
        "For each extract, the latest night whose file was loaded and how many days old that is tonight. A source "
        "is late when some of tonight's files had not arrived by the run's cut-off (they load on the night they land), "
        "or, for a run without a cut-off, when it sent no file at all tonight.",
        table(["Source", "Tonight", "Extract", "Latest extract night loaded", "Age (days)", "Files tonight"], rows),
    )


def _trend_section(audit: dict[str, list[dict]], night: date) -> Html:
    nights = [night - timedelta(days=back) for back in range(TREND_NIGHTS - 1, -1, -1)]
    per_night = {(r["source"], r["run_night"]): r for r in audit["trend"]}
    charts = []
    for source in SOURCES:
        series = {name: [per_night.get((source, n), {}).get(name, 0) for n in nights] for name in SERIES_COLOURS}
        svg = trend_svg(f"{source}: rows per night over the last {TREND_NIGHTS} nights", nights, series)
        charts.append(f"<figure><figcaption>{text(source)}</figcaption>{svg}</figure>")
    legend = "".join(f'<span><i style="background:{colour}"></i>{text(name)}</span>'
                     for name, colour in SERIES_COLOURS.items())
    return section(
        f"Trend over the last {TREND_NIGHTS} nights",
        "Rows per night judged, by source. The vertical scale is logarithmic (each gridline is ten times the one "
        "below) so a handful of quarantined rows shows beside thousands loaded. A drop to zero is a night with no "
        "file. Hover over a night for its numbers.",
        Html(f'<p class="legend">{legend}</p><div class="charts">{"".join(charts)}</div>'),
    )


def _register_section() -> Html:
    rows = [[p.source, p.controller, p.lawful_basis, p.article9_condition or "None recorded: special-category "
             "columns are withheld", p.purpose, f"{p.retention_years} years"] for p in register().values()]
    return section(
        "Register of processing",
        "Why the partnership may hold each source's data: who controls it, the lawful basis, the condition for "
        "special-category data, the purpose, and how long records are kept. The GDPR rules above enforce it.",
        table(["Source", "Controller", "Lawful basis", "Article 9 condition", "Purpose", "Retention"], rows),
    )


def write_report(settings: Settings, night: date) -> Path:
    """Write <reports>/data_quality_<night>.html and .csv from the warehouse (read-only); return the page's path."""
    if not settings.warehouse_path.exists():
        raise ReportError(f"no warehouse at {settings.warehouse_path}")
    with connect(settings.warehouse_path, read_only=True) as con:
        try:
            audit = read_audit(con, night)
        except duckdb.CatalogException as exc:
            raise ReportError(f"{settings.warehouse_path} has no audit tables ({exc})") from None
    written = datetime.now(ZoneInfo(TIMEZONE))
    html_path, csv_path = report_path(settings, night, "html"), report_path(settings, night, "csv")
    html_path.parent.mkdir(parents=True, exist_ok=True)
    html_path.write_text(page(
        f"Data quality and governance: night of {night:%A %d %B %Y}",
        f"Written {written:%Y-%m-%d %H:%M} ({TIMEZONE}) from {settings.warehouse_path}. Per-file table as CSV: "
        f"{csv_path.name}.",
        [_overview(audit["files"]), _files_section(audit["files"]), _refused_section(audit["files"]),
         _quarantine_section(audit), _exclusions_section(audit), _columns_section(audit["files"]),
         _freshness_section(audit, night), _trend_section(audit, night), _register_section()],
    ), encoding="utf-8")
    write_csv(csv_path, audit["files"])
    return html_path
