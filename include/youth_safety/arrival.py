"""Has a source's delivery for the night arrived? The nightly run waits for it until a cut-off.

A source's delivery for night N is every extract its contracts name, as
``landing/<source>/<N>/<extract>_<N>.csv``. The run checks each source until they are all
there or the cut-off passes (``config.ARRIVAL_CUTOFF``, London time on the night's day); then
it goes on. A source still missing extracts at the cut-off is late: it is recorded in
``audit.source_arrivals``, shown in the run summary, the data-quality report and
``youth-safety status``, and alerted, never silently skipped. Whatever the source has landed
is still loaded (earlier nights' files, or the extracts that did arrive), and the missing
files load on the night they land.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime

import duckdb
import pendulum

from youth_safety.config import ARRIVAL_CUTOFF, TIMEZONE, Settings
from youth_safety.contracts import contracts_for


@dataclass(frozen=True)
class Arrival:
    source: str
    night: str                 # YYYY-MM-DD
    status: str                # arrived | late | waiting
    missing_extracts: list[str]
    cutoff: str                # ISO timestamp
    checked_at: str

    @property
    def done(self) -> bool:
        return self.status != "waiting"

    def as_dict(self) -> dict:
        return asdict(self)


def cutoff_for(night: date) -> datetime:
    """The moment the run stops waiting for night's files: ARRIVAL_CUTOFF in London on the night's day."""
    return pendulum.datetime(night.year, night.month, night.day, ARRIVAL_CUTOFF.hour, ARRIVAL_CUTOFF.minute, tz=TIMEZONE)


def missing_extracts(settings: Settings, source: str, night: date) -> list[str]:
    """The source's extracts whose file for the night is not in the night's landing folder."""
    folder = settings.landing_night_dir(source, night.isoformat())
    return [c.extract for c in contracts_for(source) if not (folder / c.file_name(night.isoformat())).is_file()]


def check_arrival(settings: Settings, source: str, night: date, cutoff: datetime | None = None,
                  now: datetime | None = None) -> Arrival:
    """Arrived when nothing is missing; late when something is and the cut-off has passed; else waiting."""
    cutoff = cutoff or cutoff_for(night)
    now = now or pendulum.now("UTC")
    missing = missing_extracts(settings, source, night)
    status = "arrived" if not missing else "late" if now >= cutoff else "waiting"
    return Arrival(source, night.isoformat(), status, missing, cutoff.isoformat(), now.isoformat())


def record_arrival(con: duckdb.DuckDBPyConnection, arrival: Arrival, run_id: str) -> None:
    """Keep the arrival in audit.source_arrivals (a re-run of the task replaces its line)."""
    con.execute("insert or replace into audit.source_arrivals values (?, ?, ?, ?, ?, ?, ?)",
                [arrival.night, run_id, arrival.source, arrival.status, arrival.missing_extracts,
                 arrival.cutoff, arrival.checked_at])


def late_sources(con: duckdb.DuckDBPyConnection, night: date, run_id: str) -> dict[str, list[str]]:
    """Sources late for the run's night, with their missing extracts."""
    rows = con.execute("""select source, missing_extracts from audit.source_arrivals
                          where night = ? and run_id = ? and status = 'late' order by source""", [night, run_id]).fetchall()
    return {source: list(missing) for source, missing in rows}
