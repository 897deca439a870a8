"""Nightly scoring: the current cohort of each use case, scored by its promoted model, into the review list.

``prediction.review_list`` holds one row per child of the cohort a night: its score, its
rank, a band (``high`` the top 50, ``medium`` the next 150, ``low`` the rest, see
``BANDS``), the top three factors behind the score in plain words, the model version and
the snapshot the cohort comes from. Person keys only: a practitioner who needs to know who
a child is uses ``youth-safety reidentify`` (reason required, audited). A night's rows of
a use case are replaced when it is scored again, so a re-run changes nothing. A use case
without a promoted model writes nothing and says so.

A score is a prompt for a practitioner's review, never a decision (UK GDPR Article 22).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

import duckdb
import pandas as pd

from youth_safety.config import PredictionConfig, Settings
from youth_safety.prediction.use_cases import USE_CASES

log = logging.getLogger(__name__)

BANDS: tuple[tuple[str, int], ...] = PredictionConfig().review_bands  # then "low" for everyone else
LOW_BAND = "low"
TOP_REASONS = 3
NO_FACTOR = "no single factor stands out: review the whole record"
COLUMNS = ["night", "use_case", "person_key", "score", "band", "rank", "reasons", "model_version", "snapshot_date"]
REVIEW_LIST_DDL = """
create table if not exists prediction.review_list (
    night date not null,                  -- the night the list was made
    use_case varchar not null,
    person_key varchar not null,          -- pseudonymised: identities only through youth-safety reidentify
    score double not null,
    band varchar not null,                -- high | medium | low (BANDS)
    rank integer not null,                -- 1 = highest score of the use case that night
    reasons varchar[] not null,           -- the top factors behind the score, in plain words
    model_version varchar not null,
    snapshot_date date,                   -- the snapshot the cohort's features come from
    scored_at timestamp not null default current_timestamp,
    primary key (night, use_case, person_key)
)
"""


class ScoringModel(Protocol):
    """What scoring needs of a promoted model version."""

    metadata: dict[str, Any]

    def predict(self, frame: pd.DataFrame) -> Sequence[float]: ...

    def reasons(self, frame: pd.DataFrame) -> list[list[str]]: ...


@dataclass(frozen=True)
class Scored:
    """One use case's outcome of a night's scoring."""

    use_case: str
    model_version: str | None
    rows: int
    bands: dict[str, int]
    snapshot_date: date | None
    message: str


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists prediction")
    con.execute(REVIEW_LIST_DDL)


def band_of(rank: int, bands: Sequence[tuple[str, int]] = BANDS) -> str:
    """The band of a 1-based rank: the first ``bands[0][1]`` ranks in the first band, and so on; then low."""
    upper = 0
    for name, size in bands:
        upper += size
        if rank <= upper:
            return name
    return LOW_BAND


def review_rows(version: ScoringModel, cohort: pd.DataFrame, night: date, use_case: str,
                snapshot_date: date | None, bands: Sequence[tuple[str, int]] = BANDS) -> pd.DataFrame:
    """The review-list rows of a scored cohort: ranked by score (ties by person key), banded, with reasons."""
    if cohort.empty:
        return pd.DataFrame(columns=COLUMNS)
    scores = pd.Series(list(version.predict(cohort)), index=cohort.index, dtype="float64")
    explained = version.reasons(cohort)
    if len(explained) != len(cohort) or len(scores) != len(cohort):
        raise ValueError(f"{use_case}: the model gave {len(scores)} scores and {len(explained)} explanations "
                         f"for {len(cohort)} children")
    frame = pd.DataFrame({
        "person_key": cohort["person_key"].astype(str).to_numpy(),
        "score": scores.to_numpy(),
        "reasons": [[str(r) for r in found[:TOP_REASONS]] or [NO_FACTOR] for found in explained],
    })
    frame = frame.sort_values(["score", "person_key"], ascending=[False, True], ignore_index=True)
    frame["rank"] = range(1, len(frame) + 1)
    frame["band"] = [band_of(r, bands) for r in frame["rank"]]
    frame["night"] = night
    frame["use_case"] = use_case
    frame["model_version"] = str(version.metadata["version"])
    frame["snapshot_date"] = snapshot_date
    return frame[COLUMNS]


def write_review_list(con: duckdb.DuckDBPyConnection, night: date, use_case: str, rows: pd.DataFrame) -> int:
    """Replace the night's rows of the use case with ``rows`` (one transaction); returns the rows written."""
    ensure_schema(con)
    con.execute("begin transaction")
    try:
        con.execute("delete from prediction.review_list where night = ? and use_case = ?", [night, use_case])
        if len(rows):
            con.register("review_rows", rows)
            con.execute(f"insert into prediction.review_list ({', '.join(COLUMNS)}) "
                        f"select {', '.join(COLUMNS)} from review_rows")
            con.unregister("review_rows")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return len(rows)


def _cohort(con: duckdb.DuckDBPyConnection, use_case: str) -> tuple[pd.DataFrame, date | None]:
    """The latest snapshot's cohort of a use case (person key and features) and the snapshot's date."""
    from youth_safety.prediction import dataset

    found = dataset.current_cohort(con, use_case)
    if isinstance(found, tuple):  # (frame, snapshot_date)
        frame, snapshot = found
    else:
        frame, snapshot = found, getattr(found, "attrs", {}).get("snapshot_date")
    if snapshot is None:
        for column in ("snapshot_date", "snapshot"):
            if column in frame and len(frame):
                snapshot = pd.Timestamp(frame[column].max()).date()
                break
    return frame, (pd.Timestamp(snapshot).date() if snapshot is not None else None)


def score_use_case(settings: Settings, con: duckdb.DuckDBPyConnection, night: date, use_case: str,
                   version: ScoringModel | None, bands: Sequence[tuple[str, int]] = BANDS) -> Scored:
    """Score one use case's current cohort with ``version`` (its promoted model) into the review list."""
    if version is None:
        message = f"{use_case}: no promoted model version, so no review list tonight (train with `youth-safety train`)"
        log.warning(message)
        return Scored(use_case, None, 0, {}, None, message)
    cohort, snapshot = _cohort(con, use_case)
    rows = review_rows(version, cohort, night, use_case, snapshot, bands)
    written = write_review_list(con, night, use_case, rows)
    counts = rows["band"].value_counts().to_dict() if written else {}
    counts = {name: int(counts.get(name, 0)) for name in [*(b for b, _ in bands), LOW_BAND]}
    model_version = str(version.metadata["version"])
    message = (f"{use_case}: {written:,} children scored with {model_version} (snapshot {snapshot or 'unknown'}): "
               + ", ".join(f"{n:,} {band}" for band, n in counts.items()))
    log.info(message)
    return Scored(use_case, model_version, written, counts, snapshot, message)


def score_night(settings: Settings, night: date, use_cases: Iterable[str] = USE_CASES,
                bands: Sequence[tuple[str, int]] = BANDS) -> list[Scored]:
    """Score each use case's current cohort with its promoted version into ``prediction.review_list``."""
    from youth_safety.prediction import registry
    from youth_safety.warehouse import connect

    done = []
    with connect(settings.warehouse_path) as con:
        for use_case in use_cases:
            done.append(score_use_case(settings, con, night, use_case, registry.promoted(settings, use_case), bands))
    return done
