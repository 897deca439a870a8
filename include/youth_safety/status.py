"""What ``youth-safety status`` shows, gathered from the PUBLISHED warehouse (opened read-only) and beside it.

The last nights (the latest run of each: files loaded and held, rows, sources held back,
without a result or late, and Airflow's state of the night's run), each source's freshness
(the latest extract night loaded and its age), the gate failures of those nights (rejected
files with their rule and reason), the publish history, whether a build holds the working
copy, and the latest alerts. Counts, file names, rule codes and the gates' own reasons
only: they name files, rules and counts, never a person-level value.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb

from youth_safety.airflow_runs import night_states
from youth_safety.arrival import late_sources
from youth_safety.config import NIGHTLY_DAG_ID, SOURCES, Settings
from youth_safety.publish import NIGHTLY_OWNER_PREFIX, Build, Published, history

ALERTS_SHOWN = 5
PUBLISHES_SHOWN = 5


class StatusError(RuntimeError):
    """The status cannot be gathered (no published warehouse, or it cannot be opened)."""


@dataclass(frozen=True)
class Night:
    night: date
    airflow_state: str | None          # the night's latest Airflow run: success | failed | running | None (not known)
    run_id: str | None                 # None: no run summary published for the night
    files_loaded: int = 0
    files_held: int = 0                # rejected, or blocked by a rejected file of the same source
    rows_loaded: int = 0
    rows_quarantined: int = 0
    held_sources: tuple[str, ...] = ()
    sources_without_result: tuple[str, ...] = ()
    late_sources: tuple[tuple[str, tuple[str, ...]], ...] = ()  # source, missing extracts


@dataclass(frozen=True)
class Freshness:
    source: str
    latest_night: date | None          # the latest extract night loaded for the source
    days_old: int | None


@dataclass(frozen=True)
class GateFailure:
    run_night: date
    file_name: str
    rule: str | None
    reason: str | None


@dataclass(frozen=True)
class Status:
    warehouse: Path
    today: date
    nights: tuple[Night, ...]
    freshness: tuple[Freshness, ...]
    gate_failures: tuple[GateFailure, ...]
    publishes: tuple[Published, ...]
    published_nights: dict[str, date]  # a nightly publish's owner -> the night its run was for
    build: Build | None
    alerts: tuple[dict, ...]


def read_night(con: duckdb.DuckDBPyConnection, night: date, airflow_state: str | None = None) -> Night:
    """The night's latest run as its sources recorded it in audit.run_summaries and audit.source_arrivals."""
    latest = con.execute("select run_id from audit.run_summaries where night = ? order by recorded_at desc limit 1", [night]).fetchall()
    if not latest:
        return Night(night, airflow_state, None)
    run_id = latest[0][0]
    loads = con.execute("""select source, status, files_loaded, files_rejected + files_blocked, rows_loaded, rows_quarantined
                           from audit.run_summaries where night = ? and run_id = ?""", [night, run_id]).fetchall()
    late = late_sources(con, night, run_id)
    recorded, held = {row[0] for row in loads}, {row[0] for row in loads if row[1] != "published"}
    return Night(
        night, airflow_state, run_id,
        files_loaded=sum(row[2] for row in loads), files_held=sum(row[3] for row in loads),
        rows_loaded=sum(row[4] for row in loads), rows_quarantined=sum(row[5] for row in loads),
        held_sources=tuple(s for s in SOURCES if s in held),
        sources_without_result=tuple(s for s in SOURCES if s not in recorded),
        late_sources=tuple((source, tuple(missing)) for source, missing in late.items()),
    )


def _nights(con: duckdb.DuckDBPyConnection, settings: Settings, last: int) -> tuple[Night, ...]:
    """The latest ``last`` nights that Airflow ran or a run summary records."""
    states = night_states(settings, NIGHTLY_DAG_ID)
    summarised = {row[0] for row in con.execute("select distinct night from audit.run_summaries").fetchall()}
    shown = sorted(summarised | set(states))[-last:] if last > 0 else []
    return tuple(read_night(con, night, states.get(night)) for night in shown)


def _freshness(con: duckdb.DuckDBPyConnection, today: date) -> tuple[Freshness, ...]:
    latest = dict(con.execute("select source, max(extract_night) from audit.file_loads where status = 'loaded' group by source").fetchall())
    return tuple(Freshness(s, latest.get(s), (today - latest[s]).days if latest.get(s) else None) for s in SOURCES)


def _gate_failures(con: duckdb.DuckDBPyConnection, since: date | None) -> tuple[GateFailure, ...]:
    if since is None:
        return ()
    rows = con.execute("""select run_night, file_name, rejection_rule, rejection_reason from audit.file_loads
                          where status = 'rejected' and run_night >= ? order by run_night, file_name""", [since]).fetchall()
    return tuple(GateFailure(*row) for row in rows)


def latest_alerts(settings: Settings, last: int = ALERTS_SHOWN) -> tuple[dict, ...]:
    path = settings.reports_dir / "alerts" / "alerts.jsonl"
    if not path.exists():
        return ()
    return tuple(json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()[-last:] if line.strip())


def gather(settings: Settings, today: date, nights: int = 7) -> Status:
    """The status of the published warehouse; StatusError when there is none or it cannot be read."""
    path = settings.published_warehouse_path
    if not path.exists():
        raise StatusError(f"no published warehouse at {path}: run a night first (`youth-safety run --date D`)")
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise StatusError(f"cannot open {path} read-only (is something writing it?): {exc}") from None
    publishes = tuple(history(settings, PUBLISHES_SHOWN))
    try:
        shown = _nights(con, settings, nights)
        freshness = _freshness(con, today)
        failures = _gate_failures(con, shown[0].night if shown else None)
        runs = [p.owner.removeprefix(NIGHTLY_OWNER_PREFIX) for p in publishes if p.owner.startswith(NIGHTLY_OWNER_PREFIX)]
        published_nights = {NIGHTLY_OWNER_PREFIX + run_id: night for run_id, night in con.execute(
            "select distinct run_id, night from audit.run_summaries where list_contains(?, run_id)", [runs]).fetchall()}
    except duckdb.CatalogException as exc:
        raise StatusError(f"{path} has no run audit yet (no night has been published into it): {exc}") from None
    finally:
        con.close()
    return Status(path, today, shown, freshness, failures, publishes, published_nights, Build.read(settings), latest_alerts(settings))


def published_night(path: Path) -> tuple[date, str] | None:
    """The latest night a warehouse file holds a run summary for, and that run's id."""
    if not path.exists():
        return None
    con = duckdb.connect(str(path), read_only=True)
    try:
        found = con.execute("select night, run_id from audit.run_summaries order by night desc, recorded_at desc limit 1").fetchall()
    except duckdb.CatalogException:
        return None
    finally:
        con.close()
    return found[0] if found else None
