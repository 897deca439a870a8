"""The run summary of a night: files and rows per source, kept in the warehouse and as JSON."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from youth_safety.config import SOURCES, Settings
from youth_safety.contracts import contracts_for
from youth_safety.ingest import SourceLoad
from youth_safety.warehouse import connect, ensure_schema, raw_table


@dataclass(frozen=True)
class RunSummary:
    night: date
    run_id: str
    recorded_at: datetime
    loads: tuple[SourceLoad, ...]
    raw_rows: dict[str, int]

    def as_dict(self) -> dict:
        return {
            "night": self.night.isoformat(),
            "run_id": self.run_id,
            "recorded_at": self.recorded_at.isoformat(),
            "sources": [asdict(load) | {"raw_rows_total": self.raw_rows[load.source]} for load in self.loads],
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


def write_summary(settings: Settings, night: date, run_id: str, loads: list[SourceLoad]) -> RunSummary:
    """Record what the run did in audit.run_summaries and in <reports>/run_summary_<night>.json."""
    recorded_at = datetime.now(UTC).replace(tzinfo=None)
    with connect(settings.warehouse_path) as con:
        ensure_schema(con)
        summary = RunSummary(night, run_id, recorded_at, tuple(loads), raw_row_counts(con))
        con.executemany(
            "insert into audit.run_summaries (night, run_id, source, files_loaded, files_skipped, "
            "rows_loaded, raw_rows_total, recorded_at) values (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (night, run_id, s.source, s.files_loaded, s.files_skipped, s.rows_loaded,
                 summary.raw_rows[s.source], recorded_at)
                for s in loads
            ],
        )
    path = summary_path(settings, night)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary.as_dict(), indent=2) + "\n")
    return summary


def read_summary(settings: Settings, night: date) -> RunSummary | None:
    """The latest stored summary for a night, or None when no run has summarised it."""
    with connect(settings.warehouse_path, read_only=True) as con:
        rows = con.execute(
            "select run_id, recorded_at, source, files_loaded, files_skipped, rows_loaded, raw_rows_total "
            "from audit.run_summaries where night = ? "
            "qualify recorded_at = max(recorded_at) over ()",
            [night],
        ).fetchall()
    if not rows:
        return None
    rows.sort(key=lambda row: SOURCES.index(row[2]))
    return RunSummary(
        night=night,
        run_id=rows[0][0],
        recorded_at=rows[0][1],
        loads=tuple(SourceLoad(source, loaded, skipped, n) for _, _, source, loaded, skipped, n, _ in rows),
        raw_rows={row[2]: row[6] for row in rows},
    )
