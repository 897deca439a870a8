"""The run summary of a night: what each source's gate and load did, kept in the warehouse and as JSON.

Each source's load records its own line in ``audit.run_summaries`` (so a held source
still reports); the summarise step adds the raw-layer totals and writes the JSON.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime
from pathlib import Path

import duckdb

from youth_safety.config import SOURCES, Settings
from youth_safety.contracts import contracts_for
from youth_safety.ingest import SourceLoad
from youth_safety.arrival import late_sources
from youth_safety.warehouse import connect, ensure_schema, raw_table

LOAD_FIELDS = [f.name for f in fields(SourceLoad)]


@dataclass(frozen=True)
class RunSummary:
    night: date
    run_id: str
    recorded_at: datetime
    loads: tuple[SourceLoad, ...]
    raw_rows: dict[str, int]
    missing_sources: tuple[str, ...]  # sources whose load did not record a result (the task failed)
    late_sources: dict[str, list[str]]  # sources whose files for the night missed the cut-off: their missing extracts

    def as_dict(self) -> dict:
        return {
            "night": self.night.isoformat(),
            "run_id": self.run_id,
            "recorded_at": self.recorded_at.isoformat(),
            "sources": [asdict(load) | {"raw_rows_total": self.raw_rows[load.source]} for load in self.loads],
            "sources_without_result": list(self.missing_sources),
            "late_sources": self.late_sources,
        }


def summary_path(settings: Settings, night: date) -> Path:
    return settings.reports_dir / f"run_summary_{night.isoformat()}.json"


def raw_row_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Rows held in the raw layer, per source (all extracts together)."""
    counts = {}
    for source in SOURCES:
        tables = [f"select count(*) as n from {raw_table(c)}" for c in contracts_for(source)]
        (counts[source],) = con.execute(f"select sum(n) from ({' union all '.join(tables)})").fetchone()
    return counts


def _read(con: duckdb.DuckDBPyConnection, night: date, run_id: str | None) -> RunSummary | None:
    """The run's source lines (the latest run of the night when ``run_id`` is None)."""
    run_filter = "run_id = ?" if run_id else "run_id = (select run_id from audit.run_summaries where night = ? order by recorded_at desc limit 1)"
    rows = con.execute(
        f"select {', '.join(LOAD_FIELDS)}, raw_rows_total, run_id, recorded_at from audit.run_summaries "
        f"where night = ? and {run_filter}", [night, run_id or night]).fetchall()
    if not rows:
        return None
    rows.sort(key=lambda row: SOURCES.index(row[0]))
    loads = tuple(SourceLoad(*row[: len(LOAD_FIELDS)]) for row in rows)
    return RunSummary(
        night=night, run_id=rows[0][-2], recorded_at=max(row[-1] for row in rows), loads=loads,
        raw_rows={row[0]: row[len(LOAD_FIELDS)] for row in rows},
        missing_sources=tuple(s for s in SOURCES if s not in {load.source for load in loads}),
        late_sources=late_sources(con, night, rows[0][-2]),
    )


def write_summary(settings: Settings, night: date, run_id: str) -> RunSummary:
    """Add raw-layer totals to the run's source lines and write <reports>/run_summary_<night>.json."""
    with connect(settings.warehouse_path) as con:
        ensure_schema(con)
        for source, total in raw_row_counts(con).items():
            con.execute("update audit.run_summaries set raw_rows_total = ? where night = ? and run_id = ? and source = ?",
                        [total, night, run_id, source])
        summary = _read(con, night, run_id)
    if summary is None:
        raise RuntimeError(f"no source recorded a result for night {night} (run {run_id})")
    path = summary_path(settings, night)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary.as_dict(), indent=2) + "\n")
    return summary


def read_summary(settings: Settings, night: date) -> RunSummary | None:
    """The latest run's summary for a night, or None when no run has recorded one."""
    with connect(settings.warehouse_path, read_only=True) as con:
        return _read(con, night, None)
