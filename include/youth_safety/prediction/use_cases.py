"""The two predictive use cases, as data: who is scored (cohort), what is predicted (outcome),
over which horizon and with which waiting period.

A score supports a practitioner's review; it is never an automated decision (UK GDPR Art. 22).

Both use cases are built from the point-in-time snapshots of ``marts.fct_person_features_monthly``
(one row per child aged 8-17 and month end). For training and evaluation only the quarterly
snapshots are used (month ends of March, June, September and December): consecutive monthly
snapshots of one child are nearly identical rows with the same future, so quarterly ones cut
correlated rows and size by two thirds without losing a season.

A snapshot's label is known only once its whole window has passed:
``snapshot_date + horizon + waiting <= data end date`` (the latest linkage night). Rows whose
label is not yet known are never used for training or evaluation; they are what gets scored.
Labels come only from events dated strictly after the snapshot date.
"""

from __future__ import annotations

from dataclasses import dataclass

QUARTER_END_MONTHS = (3, 6, 9, 12)


@dataclass(frozen=True)
class UseCase:
    name: str
    title: str
    purpose: str
    cohort_rule: str          # SQL predicate on fct_person_features_monthly (alias f)
    cohort_text: str
    outcome_text: str
    horizon_months: int
    waiting_months: int
    # features that are constant (or definitionally implied) in the cohort, left out of the model
    excluded_features: tuple[str, ...] = ()

    @property
    def label_window_months(self) -> int:
        return self.horizon_months + self.waiting_months


EARLY_IDENTIFICATION = UseCase(
    name="early_identification",
    title="Early identification: first-time entry or serious youth violence within 12 months",
    purpose=(
        "Prompt a practitioner to review children aged 8-17 who are known to a partner agency but "
        "not to the youth offending service, and who may, within the next 12 months, receive a first "
        "caution or conviction or be involved in serious youth violence as a victim or suspect. "
        "Support for human review only; never an automated decision."
    ),
    cohort_rule="not f.is_known_to_yos and not f.has_substantive_outcome",
    cohort_text="Children aged 8-17 on the snapshot date, known to an agency, not known to the YOS and without a substantive outcome.",
    outcome_text=(
        "Within the 12 months after the snapshot date (strictly after it): a first substantive outcome "
        "(youth caution, youth conditional caution or conviction: first-time entrant), or involvement in "
        "serious youth violence as victim, suspect or accused (crime committed in the window)."
    ),
    horizon_months=12,
    waiting_months=0,
    excluded_features=("is_known_to_yos", "has_substantive_outcome", "yos_interventions_ever"),
)

REOFFENDING = UseCase(
    name="reoffending",
    title="Proven reoffending within 12 months (6-month waiting period)",
    purpose=(
        "Prompt a practitioner to review children in the YOS cohort (with a caution or conviction) who "
        "may commit a proven reoffence within the next 12 months. Support for human review only; never "
        "an automated decision."
    ),
    cohort_rule="f.has_substantive_outcome",
    cohort_text="Children aged 8-17 on the snapshot date with at least one substantive outcome (the YOS cohort).",
    outcome_text=(
        "An offence committed within the 12 months after the snapshot date (strictly after it) that "
        "receives a substantive outcome within those 12 months plus a 6-month waiting period."
    ),
    horizon_months=12,
    waiting_months=6,
    excluded_features=("is_known_to_yos", "has_substantive_outcome"),
)

USE_CASES: dict[str, UseCase] = {u.name: u for u in (EARLY_IDENTIFICATION, REOFFENDING)}


def get_use_case(use_case: str | UseCase) -> UseCase:
    if isinstance(use_case, UseCase):
        return use_case
    try:
        return USE_CASES[use_case]
    except KeyError:
        raise ValueError(f"unknown use case {use_case!r}; one of {sorted(USE_CASES)}") from None
