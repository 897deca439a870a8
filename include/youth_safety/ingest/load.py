"""Gate and load one source's landed files for a night: all of the source, or none of it.

Every file not judged before goes through the quality gate (``quality.gate``), which
also excludes rows of erased people (the vault's suppression list, GDPR-ERASURE). Accepted
rows are pseudonymised in memory (``privacy.pseudonymise``) and go into
``raw_<source>.<extract>`` with their load metadata, while their identifiers go into the
identity vault; quarantined rows and GDPR exclusions are recorded with their reasons in
``audit``. No direct identifier is ever written to the warehouse file. If any file is refused, the
source's inserts for the night are rolled back (its marts keep the last good data), the
refused file is recorded as rejected (and not tried again) and the source's other files
as blocked (tried again next night), and ``GateFailure`` names the file, rule and count.
"""

from __future__ import annotations

import logging
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime

import duckdb
import pandas as pd

from youth_safety.config import Settings
from youth_safety.governance.opt_out import OptOutRegister
from youth_safety.governance.register import register
from youth_safety.ingest.discover import LandedFile, landed_files
from youth_safety.privacy.keys import load_key
from youth_safety.privacy.layout import warehouse_columns
from youth_safety.privacy.pseudonymise import pseudonymise, record_keys
from youth_safety.privacy.suppression import Suppressions
from youth_safety.privacy.vault import check_key, connect_vault, store
from youth_safety.quality.data_docs import build_data_docs
from youth_safety.quality.gate import FileContext, Verdict, judge
from youth_safety.quality.policy import policies
from youth_safety.warehouse import LOAD_METADATA_COLUMNS, connect, ensure_schema, raw_table

log = logging.getLogger(__name__)

FRAME = "gate_frame"
# Within a night, an extract is judged after the extracts its rules look up.
JUDGED_AFTER = {"ssd_assessment_factors": "ssd_cin_assessments"}


class GateFailure(RuntimeError):
    """A file of the source was refused; the source's night is not published."""


@dataclass(frozen=True)
class SourceLoad:
    """What one source's gate and load did for a night."""

    source: str
    status: str  # published | held
    files_loaded: int
    files_skipped: int
    files_rejected: int
    files_blocked: int
    rows_received: int
    rows_loaded: int
    rows_quarantined: int
    rows_excluded: int


@dataclass(frozen=True)
class TimedSourceLoad(SourceLoad):
    """A source's load with its wall time per phase, in seconds: ``validate`` (context and quality gate, GX
    included), ``pseudonymise``, ``write`` (warehouse and vault) and ``data_docs``. Returned by the load task
    (its XCom, for the benchmark); ``audit.run_summaries`` keeps the plain ``SourceLoad``."""

    seconds: dict[str, float] = field(default_factory=dict)


@contextmanager
def _timed(seconds: dict[str, float], phase: str):
    began = time.perf_counter()
    try:
        yield
    finally:
        seconds[phase] = seconds.get(phase, 0.0) + time.perf_counter() - began


def _order(landed: LandedFile) -> tuple:
    extract = landed.contract.extract
    return (landed.delivered_night, landed.extract_night, extract in JUDGED_AFTER, extract)


def _judged_before(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {row[0] for row in con.execute("select load_id from audit.file_loads where status in ('loaded', 'rejected')").fetchall()}


def _context(con: duckdb.DuckDBPyConnection, landed: LandedFile, opt_outs: OptOutRegister,
             erasures: Suppressions = Suppressions()) -> FileContext:
    contract = landed.contract
    recent = [r[0] for r in con.execute(
        """select rows_received from audit.file_loads
           where source = ? and extract = ? and status = 'loaded' and extract_night < ?
             and extract_night > (select min(extract_night) from audit.file_loads where source = ? and extract = ?)
           order by extract_night""",
        [contract.source, contract.extract, landed.extract_night, contract.source, contract.extract]).fetchall()]
    same_bytes = None
    if contract.delivery == "delta":
        found = con.execute("select file_name from audit.file_loads where file_checksum = ? and file_name <> ? and status = 'loaded' limit 1",
                            [landed.checksum, landed.name]).fetchall()
        same_bytes = found[0][0] if found else None
    completed = frozenset()
    if contract.extract == "ssd_assessment_factors":
        completed = frozenset(r[0] for r in con.execute(
            "select distinct cina_assessment_id from raw_social_care.ssd_cin_assessments where cina_assessment_auth_date is not null").fetchall())
    return FileContext(recent, same_bytes, register()[contract.source], policies()[contract.source], opt_outs, completed, erasures)


def _insert_rows(con: duckdb.DuckDBPyConnection, verdict: Verdict, rows: pd.DataFrame) -> None:
    landed = verdict.landed
    quoted = ", ".join(f'"{c.name}"' for c in warehouse_columns(landed.contract))
    target = ", ".join([quoted, *LOAD_METADATA_COLUMNS])
    con.register(FRAME, rows)
    try:
        con.execute(
            f"insert into {raw_table(landed.contract)} ({target}) select {quoted}, "
            f"$load_id, $file_name, $checksum, _source_row_number, $loaded_at from {FRAME}",
            {"load_id": landed.load_id, "file_name": landed.name, "checksum": landed.checksum, "loaded_at": verdict.finished_at},
        )
    finally:
        con.unregister(FRAME)


def _insert_findings(con: duckdb.DuckDBPyConnection, verdict: Verdict, key: bytes) -> None:
    """Quarantine, GDPR exclusions and warnings of one file, each row with its rule."""
    landed = verdict.landed
    ident = {"load_id": landed.load_id, "source": landed.contract.source, "extract": landed.contract.extract, "file_name": landed.name}
    quarantine = verdict.quarantine.assign(person_ref=record_keys(landed.contract, verdict.quarantine["person_ref"], key))
    for table, frame, columns in (
        ("audit.quarantine", quarantine, "row_number, rule_code, \"column\", masked_value, person_ref"),
        ("audit.gdpr_exclusions", verdict.exclusions, "row_number, rule_code"),
        ("audit.rule_warnings", verdict.warnings, "row_number, rule_code, \"column\""),
    ):
        if frame.empty:
            continue
        con.register(FRAME, frame.astype({"row_number": int}))
        try:
            con.execute(f"insert into {table} select $load_id, $source, $extract, $file_name, {columns} from {FRAME}", ident)
        finally:
            con.unregister(FRAME)


def _record(con: duckdb.DuckDBPyConnection, verdict: Verdict, night: date, status: str) -> None:
    landed = verdict.landed
    rejection = verdict.rejection
    loaded = status == "loaded"
    con.execute(
        "insert or replace into audit.file_loads values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [landed.load_id, night, landed.contract.source, landed.contract.extract, landed.name, landed.extract_night,
         landed.delivered_night, landed.checksum, status, verdict.rows_received,
         verdict.rows_loaded if loaded else 0, verdict.rows_quarantined if loaded else 0, verdict.rows_excluded if loaded else 0,
         rejection.rule_code if rejection else None, rejection.detail if rejection else None,
         list(verdict.dropped_columns), list(verdict.withheld_columns), verdict.started_at, verdict.finished_at],
    )


def _summarise(source: str, verdicts: list[Verdict], skipped: int, held: bool) -> SourceLoad:
    rejected = [v for v in verdicts if v.rejection]
    loaded = [] if held else verdicts
    return SourceLoad(
        source=source, status="held" if held else "published",
        files_loaded=len(loaded), files_skipped=skipped, files_rejected=len(rejected),
        files_blocked=len(verdicts) - len(rejected) if held else 0,
        rows_received=sum(v.rows_received for v in verdicts),
        rows_loaded=sum(v.rows_loaded for v in loaded), rows_quarantined=sum(v.rows_quarantined for v in loaded),
        rows_excluded=sum(v.rows_excluded for v in loaded),
    )


def _record_source(con: duckdb.DuckDBPyConnection, night: date, run_id: str, load: SourceLoad) -> None:
    con.execute(
        "insert or replace into audit.run_summaries values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, null, ?)",
        [night, run_id, load.source, load.status, load.files_loaded, load.files_skipped, load.files_rejected, load.files_blocked,
         load.rows_received, load.rows_loaded, load.rows_quarantined, load.rows_excluded, datetime.now(UTC).replace(tzinfo=None)],
    )


def load_source(settings: Settings, source: str, night: date, run_id: str = "manual", key: bytes | None = None) -> TimedSourceLoad:
    """Gate and load every file the source landed up to ``night`` that was not judged before.

    ``key`` pseudonymises identifiers; by default it is loaded from the environment or key file.
    """
    key = key or load_key(settings)
    opt_outs = OptOutRegister.load(settings.opt_out_path)
    with connect(settings.warehouse_path) as con, connect_vault(settings) as vault:
        check_key(vault, key)
        erasures = Suppressions.load(vault)
        ensure_schema(con)
        judged = _judged_before(con)
        landed = landed_files(settings, source, night)
        pending = sorted((f for f in landed if f.load_id not in judged), key=_order)
        skipped = len(landed) - len(pending)
        verdicts: list[Verdict] = []
        seconds = dict.fromkeys(("validate", "pseudonymise", "write", "data_docs"), 0.0)
        # one transaction each; the vault commits first, so no token in the warehouse lacks its identifier
        con.begin()
        vault.begin()
        try:
            for landed in pending:
                with _timed(seconds, "validate"):
                    verdict = judge(landed, _context(con, landed, opt_outs, erasures))
                verdicts.append(verdict)
                if verdict.rejection:
                    break
                with _timed(seconds, "pseudonymise"):
                    share = pseudonymise(landed.contract, verdict.accepted, key)
                with _timed(seconds, "write"):
                    _insert_rows(con, verdict, share.rows)
                    _insert_findings(con, verdict, key)
                    _record(con, verdict, night, "loaded")
                    store(vault, share, landed.extract_night)
                verdict.accepted = share = None  # written: let the rows go before the next file (rows_loaded keeps the count)
                log.info("%s: %d received, %d loaded, %d quarantined, %d excluded", landed.name, verdict.rows_received,
                         verdict.rows_loaded, verdict.rows_quarantined, verdict.rows_excluded)
        except Exception:
            vault.rollback()
            con.rollback()
            raise
        held = any(v.rejection for v in verdicts)
        if held:
            vault.rollback()
            con.rollback()
            con.begin()
            refused = [v for v in verdicts if v.rejection]
            now = datetime.now(UTC).replace(tzinfo=None)
            verdicts = refused + [Verdict(f, started_at=now, finished_at=now) for f in pending if f is not refused[0].landed]
            for verdict in verdicts:
                _record(con, verdict, night, "rejected" if verdict.rejection else "blocked")
        load = _summarise(source, verdicts, skipped, held)
        _record_source(con, night, run_id, load)
        with _timed(seconds, "write"):
            if not held:
                vault.commit()
            con.commit()
    validated = [(v.landed.name, v.validation) for v in verdicts if v.validation is not None]
    if validated:
        with _timed(seconds, "data_docs"):
            build_data_docs(settings, night, validated)
    if held:
        refused = next(v for v in verdicts if v.rejection)
        raise GateFailure(
            f"{source}: {refused.landed.name} rejected under {refused.rejection.rule_code} ({refused.rejection.detail}); "
            f"{load.files_blocked} other file(s) of {source} held back for the night"
        )
    load = TimedSourceLoad(**asdict(load), seconds={phase: round(s, 3) for phase, s in seconds.items()})
    log.info("%s up to %s: %s", source, night, load)
    return load
