"""Row rules beyond one value's type, code or format: duplicates, dates, domain and GDPR rules.

Each rule is one named pandas function. It takes the columns it reads (a DataFrame whose
columns come in the order its target lists them) and returns a boolean Series, True where
the row fails. A value that does not parse (CON-TYPE), or a date before 1900 (DAT-RANGE),
never fails the other rules: each problem is reported once. ``ROW_RULES`` says, per
catalogue code (whose message the catalogue holds), on which extracts and columns a rule
applies and which run-time parameters it takes; ``quality.suites`` makes each target one
expectation (``expect_column_values_to_pass_row_rule`` or ``expect_rows_to_pass_row_rule``).

Context columns are supplied by the gate on the frame it validates: ``_ctx_opted_out``
(every extract: the person is on the opt-out register), ``_ctx_erased`` (every extract:
the row carries an identifier on the erasure suppression list) and
``_ctx_assessment_completed`` (assessment factors: False when the assessment is not
completed or unknown).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Callable

import pandas as pd

from youth_safety.contracts import Contract
from youth_safety.generator.geography import borough_postcodes
from youth_safety.governance.register import years_before
from youth_safety.quality.conformance import bad_format, parse_dates, parse_integers
from youth_safety.school_calendar import in_term

OPTED_OUT = "_ctx_opted_out"
ERASED = "_ctx_erased"
ASSESSMENT_COMPLETED = "_ctx_assessment_completed"
EARLIEST_DATE = pd.Timestamp("1900-01-01")
MAX_AGE = 25
PARAMS = ("night", "retention_years", "key")  # what a rule may take: a date, a whole number, column names


@dataclass(frozen=True)
class Target:
    """One place a rule applies: the column a failure is reported on, and the columns read."""

    column: str | None
    columns: tuple[str, ...]


@dataclass(frozen=True)
class RowRule:
    code: str
    check: Callable[..., pd.Series]
    targets: Callable[[Contract], tuple[Target, ...]]
    params: tuple[str, ...] = ()  # the parameters the check takes, from PARAMS


def _dates(frame: pd.DataFrame) -> list[pd.Series]:
    """The frame's columns as dates; unparseable and pre-1900 dates are NaT (never compared)."""
    parsed = [parse_dates(frame[c]) for c in frame.columns]
    return [day.where(day >= EARLIEST_DATE) for day in parsed]


def duplicate_row(frame: pd.DataFrame) -> pd.Series:
    """DUP-ROW: the row repeats an earlier row exactly (the first occurrence passes)."""
    return frame.duplicated(keep="first")


def duplicate_key(frame: pd.DataFrame, key: list[str]) -> pd.Series:
    """DUP-KEY: the key repeats an earlier row whose other values differ."""
    repeated = frame.duplicated(subset=key, keep="first")
    sharing = frame[frame.duplicated(subset=key, keep=False)]  # few rows: compare whole rows only there
    return repeated & ~sharing.duplicated(keep="first").reindex(frame.index, fill_value=False)


def date_out_of_range(frame: pd.DataFrame, night: date) -> pd.Series:
    """DAT-RANGE: [date] before 1900 or after the night the file was sent."""
    day = parse_dates(frame.iloc[:, 0])
    return (day < EARLIEST_DATE) | (day > pd.Timestamp(night))


def dob_after_event(frame: pd.DataFrame) -> pd.Series:
    """DAT-DOB: [dob, event dates...] the date of birth is after one of the event dates."""
    dob, *events = _dates(frame)
    return pd.concat([dob > event for event in events], axis=1).any(axis=1)


def ends_before_start(frame: pd.DataFrame) -> pd.Series:
    """CIN-01, MIS-01, YOS-01: [start, end] the end date is before the start date."""
    start, end = _dates(frame)
    return end < start


def ends_on_or_before_start(frame: pd.DataFrame) -> pd.Series:
    """CPP-01: [start, end] the end date is not after the start date."""
    start, end = _dates(frame)
    return end <= start


def factors_on_incomplete_assessment(frame: pd.DataFrame) -> pd.Series:
    """ASF-01: [assessment id, completed] the assessment is not (known to be) completed."""
    return frame[ASSESSMENT_COMPLETED].ne(True)


def absence_exceeds_possible(frame: pd.DataFrame) -> pd.Series:
    """ATT-01: [possible, authorised, unauthorised] absence sessions exceed those possible."""
    possible, authorised, unauthorised = (parse_integers(frame[c]) for c in frame.columns)
    return authorised + unauthorised > possible


def outside_term(frame: pd.DataFrame) -> pd.Series:
    """EXC-01: [start date] the date falls outside every term of the school calendar."""
    (day,) = _dates(frame)
    return pd.Series(day.notna().to_numpy() & ~in_term(day), index=frame.index)


def over_age(frame: pd.DataFrame, night: date) -> pd.Series:
    """GDPR-AGE: [dob, record date] older than 25 at the record date (at the night while it is empty)."""
    dob, recorded = _dates(frame)
    at = recorded.where(frame.iloc[:, 1].notna(), pd.Timestamp(night))
    before_birthday = (at.dt.month < dob.dt.month) | ((at.dt.month == dob.dt.month) & (at.dt.day < dob.dt.day))
    return (at.dt.year - dob.dt.year - before_birthday) > MAX_AGE


def outside_borough(frame: pd.DataFrame) -> pd.Series:
    """GDPR-BOROUGH: [postcode] a well-formed postcode that is not in the borough's lookup."""
    postcode = frame.iloc[:, 0]
    fails = postcode.notna() & ~postcode.isin(borough_postcodes()[0])
    fails[fails] = ~bad_format("postcode", postcode[fails])
    return fails


def past_retention(frame: pd.DataFrame, night: date, retention_years: int) -> pd.Series:
    """GDPR-RETENTION: [record date] before the night less the source's retention period (as the purge judges)."""
    (day,) = _dates(frame)
    return day < pd.Timestamp(years_before(night, retention_years))


def opted_out(frame: pd.DataFrame) -> pd.Series:
    """GDPR-OBJECTION: [opted out] the person is on the opt-out register."""
    return frame[OPTED_OUT].eq(True)


def erased(frame: pd.DataFrame) -> pd.Series:
    """GDPR-ERASURE: [erased] the row carries an identifier of an erased person."""
    return frame[ERASED].eq(True)


def _on(extract: str, column: str, *columns: str) -> Callable[[Contract], tuple[Target, ...]]:
    """Targets of a domain rule: one extract (``source.extract``), fixed columns."""
    return lambda c: (Target(column, columns),) if c.name == extract else ()


def _dates_of(c: Contract) -> list[str]:
    return [f.name for f in c.fields if f.type == "date"]


def _dob_targets(c: Contract) -> tuple[Target, ...]:
    events = [d for d in _dates_of(c) if d != c.dob_field]
    return (Target(c.dob_field, (c.dob_field, *events)),) if c.dob_field and events else ()


def _age_targets(c: Contract) -> tuple[Target, ...]:
    """Age is judged at the record's event date; a record with none (a person snapshot, an
    involvement whose date is its crime's) is judged after linkage, in the marts."""
    if not (c.dob_field and c.record_date):
        return ()
    return (Target(c.dob_field, (c.dob_field, c.record_date)),)


def _borough_targets(c: Contract) -> tuple[Target, ...]:
    return tuple(Target(f.name, (f.name,)) for f in c.fields if c.borough_only and f.format == "postcode")


_RULES = (
    RowRule("DUP-ROW", duplicate_row, lambda c: (Target(None, tuple(c.columns)),)),
    RowRule("DUP-KEY", duplicate_key, lambda c: (Target(",".join(c.primary_key), tuple(c.columns)),), ("key",)),
    RowRule("DAT-RANGE", date_out_of_range, lambda c: tuple(Target(d, (d,)) for d in _dates_of(c)), ("night",)),
    RowRule("DAT-DOB", dob_after_event, _dob_targets),
    RowRule("CIN-01", ends_before_start, _on("social_care.ssd_cin_episodes", "cine_close_date", "cine_referral_date", "cine_close_date")),
    RowRule("MIS-01", ends_before_start, _on("social_care.ssd_missing", "miss_missing_episode_end_date", "miss_missing_episode_start_date", "miss_missing_episode_end_date")),
    RowRule("CPP-01", ends_on_or_before_start, _on("social_care.ssd_cp_plans", "cppl_cp_plan_end_date", "cppl_cp_plan_start_date", "cppl_cp_plan_end_date")),
    RowRule("ASF-01", factors_on_incomplete_assessment, _on("social_care.ssd_assessment_factors", "cinf_assessment_id", "cinf_assessment_id", ASSESSMENT_COMPLETED)),
    RowRule("ATT-01", absence_exceeds_possible, _on("education.attendance", "sessions_possible", "sessions_possible", "sessions_authorised", "sessions_unauthorised")),
    RowRule("EXC-01", outside_term, _on("education.exclusions", "start_date", "start_date")),
    RowRule("YOS-01", ends_before_start, _on("yos.offences", "outcome_date", "offence_date", "outcome_date")),
    RowRule("GDPR-AGE", over_age, _age_targets, ("night",)),
    RowRule("GDPR-BOROUGH", outside_borough, _borough_targets),
    RowRule("GDPR-RETENTION", past_retention, lambda c: (Target(c.record_date, (c.record_date,)),) if c.record_date else (), ("night", "retention_years")),
    RowRule("GDPR-OBJECTION", opted_out, lambda c: (Target(None, (OPTED_OUT,)),)),
    RowRule("GDPR-ERASURE", erased, lambda c: (Target(None, (ERASED,)),)),
)
ROW_RULES: dict[str, RowRule] = {r.code: r for r in _RULES}


def row_fails(code: str, frame: pd.DataFrame, **params) -> pd.Series:
    """Which rows fail a rule, given the columns of one of its targets; ``params`` may hold more than it takes."""
    found = ROW_RULES[code]
    return found.check(frame, **{p: params[p] for p in found.params})


def context_columns(contract: Contract) -> list[str]:
    """The context columns the gate must add to this extract's frame before validation."""
    read = {c for r in _RULES for t in r.targets(contract) for c in t.columns}
    return [c for c in (OPTED_OUT, ERASED, ASSESSMENT_COMPLETED) if c in read]
