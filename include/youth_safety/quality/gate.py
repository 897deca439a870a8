"""Judge one landed file: refuse it whole, or split its rows into loaded, quarantined, excluded.

Order of judgement: file rules (``file_rules``), then the column-level GDPR rules
(minimisation drops columns not in the contract; special-category columns are withheld
from a source with no Article 9 condition), then every row rule and GDPR row rule through
the extract's Great Expectations suite (``validate``). A row failing a GDPR rule is
excluded (kept out, with its reason); otherwise a row failing a quarantine rule is held
back in quarantine; every other row is loaded. Received = loaded + quarantined + excluded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import pandas as pd

from youth_safety.contracts import Contract
from youth_safety.governance.opt_out import OptOutRegister
from youth_safety.governance.register import Processing
from youth_safety.ingest.discover import LandedFile
from youth_safety.privacy.layout import person_reference
from youth_safety.privacy.suppression import Suppressions
from youth_safety.quality import file_rules
from youth_safety.quality.file_rules import FileRejected
from youth_safety.quality.policy import SourcePolicy
from youth_safety.quality.row_rules import ASSESSMENT_COMPLETED, ERASED, OPTED_OUT
from youth_safety.quality.validate import Validation, validate

MASKED_CLASSES = ("direct_identifier",)
VALUE_PREVIEW = 100


@dataclass(frozen=True)
class FileContext:
    """What the gate needs to know beyond the file itself."""

    recent_rows: list[int]  # rows of recent nightly files of the extract, oldest first
    delivered_before_as: str | None  # name of an earlier file with the same bytes, if any
    processing: Processing
    policy: SourcePolicy
    opt_outs: OptOutRegister
    completed_assessments: frozenset[str] = frozenset()
    erasures: Suppressions = Suppressions()  # identifier values of erased people (GDPR-ERASURE)


@dataclass
class Verdict:
    landed: LandedFile
    started_at: datetime
    rows_received: int = 0
    rows_loaded: int = 0  # kept when the loader lets go of ``accepted`` once written
    accepted: pd.DataFrame | None = None
    quarantine: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["row_number", "rule_code", "column", "masked_value", "person_ref"]))
    exclusions: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["row_number", "rule_code"]))
    warnings: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["row_number", "rule_code", "column"]))
    dropped_columns: tuple[str, ...] = ()
    withheld_columns: tuple[str, ...] = ()
    rejection: FileRejected | None = None
    finished_at: datetime | None = None
    validation: Validation | None = None  # the GX result, for Data Docs

    @property
    def rows_quarantined(self) -> int:
        return self.quarantine["row_number"].nunique()

    @property
    def rows_excluded(self) -> int:
        return self.exclusions["row_number"].nunique()


def mask(contract: Contract, column: str | None, value: object) -> str | None:
    """What the quarantine may show of an offending value: identifiers never, others truncated."""
    if value is None or column is None or column not in contract.columns:
        return None
    text = str(value)
    if contract.field(column).privacy in MASKED_CLASSES:
        return f"[masked {len(text)} characters]"
    return text[:VALUE_PREVIEW]


def _withhold_special_category(contract: Contract, verdict: Verdict, processing: Processing) -> None:
    """GDPR-SPECIAL: with no Article 9 condition, special-category values are not loaded."""
    if processing.article9_condition or verdict.accepted is None:
        return
    verdict.withheld_columns = tuple(f.name for f in contract.fields if f.privacy == "special_category")
    verdict.accepted = verdict.accepted.assign(**dict.fromkeys(verdict.withheld_columns, None))


def _context_columns(contract: Contract, frame: pd.DataFrame, context: FileContext) -> None:
    frame[OPTED_OUT] = context.opt_outs.matches(contract, frame)
    frame[ERASED] = context.erasures.matches(contract, frame)
    if contract.name == "social_care.ssd_assessment_factors":
        frame[ASSESSMENT_COMPLETED] = frame["cinf_assessment_id"].isin(context.completed_assessments).to_numpy()


def _rows_received(text: str | None) -> int:
    """Best count of data rows in a file that could not be parsed."""
    return max(text.count("\n") - 1, 0) if text else 0


def judge(landed: LandedFile, context: FileContext) -> Verdict:
    """The verdict on one file; a refused file has ``rejection`` set and nothing accepted."""
    contract = landed.contract
    verdict = Verdict(landed, started_at=datetime.now(UTC).replace(tzinfo=None))
    text = None
    try:
        text = file_rules.decode(landed.path.read_bytes())
        parsed = file_rules.parse(text, contract, header_only_allowed=contract.extract not in context.policy.always_has_rows)
        verdict.rows_received = len(parsed.frame)
        verdict.dropped_columns = parsed.dropped_columns
        if context.delivered_before_as and verdict.rows_received:
            raise FileRejected("FILE-DUPLICATE", f"same bytes as {context.delivered_before_as}")
        file_rules.check_volume(verdict.rows_received, context.recent_rows, context.policy.volume)
        frame = parsed.frame
        _context_columns(contract, frame, context)
        verdict.validation = validate(contract, frame, landed.delivered_night)
        failures = verdict.validation.violations
        _split(verdict, contract, frame, failures.assign(severity=failures["rule_code"].map(context.policy.severity_of).astype(object)))
        _withhold_special_category(contract, verdict, context.processing)
    except FileRejected as rejection:
        verdict.rejection = rejection
        verdict.rows_received = verdict.rows_received or _rows_received(text)
        verdict.accepted, verdict.rows_loaded = None, 0
    verdict.finished_at = datetime.now(UTC).replace(tzinfo=None)
    return verdict


def _split(verdict: Verdict, contract: Contract, frame: pd.DataFrame, failures: pd.DataFrame) -> None:
    """Apply each failure's severity: reject the file, exclude, quarantine, or warn."""
    rejecting = failures[failures["severity"] == "reject"]
    if not rejecting.empty:
        code = rejecting["rule_code"].iloc[0]
        rows = rejecting.loc[rejecting["rule_code"] == code, "row_number"]
        raise FileRejected(code, f"{rows.nunique()} row(s) fail {code}, set to reject the file; first at data row {rows.min()}")
    excluded = failures[failures["severity"] == "exclude"]
    excluded_rows = set(excluded["row_number"])
    held = failures[(failures["severity"] == "quarantine") & ~failures["row_number"].isin(excluded_rows)]
    by_row = frame.set_index("_source_row_number")
    held = held.assign(masked_value=[mask(contract, c, by_row.at[r, c] if c in by_row.columns else None) for r, c in zip(held["row_number"], held["column"])])
    reference = person_reference(contract)
    held["person_ref"] = by_row[reference.name].reindex(held["row_number"]).to_numpy() if reference else None
    verdict.exclusions = excluded[["row_number", "rule_code"]].drop_duplicates().reset_index(drop=True)
    verdict.quarantine = held[["row_number", "rule_code", "column", "masked_value", "person_ref"]].reset_index(drop=True)
    verdict.warnings = failures.loc[failures["severity"] == "warn", ["row_number", "rule_code", "column"]].reset_index(drop=True)
    out = excluded_rows | set(held["row_number"])
    verdict.accepted = frame.loc[~frame["_source_row_number"].isin(out), [*contract.columns, "_source_row_number"]]
    verdict.rows_loaded = len(verdict.accepted)
