"""Plain-words reasons for every score, read from the model itself.

For each row, the model's contributions per feature (``ScoringModel.contributions``: for the
logistic regression, coefficient x standardized value; for a tree model, single-feature
occlusion) are ranked, and the top positive ones (those that raised the score above the average
child's) are phrased from the row's raw values with one template per feature, e.g.
"3 suspensions in the last 12 months", "missing twice in the last 12 months", "a gangs factor in a
social-care assessment", "first known to children's social care at 4".

A phrase states a fact from the records, not a judgement; a row with no positive contribution
gets one sentence saying so, so every scored child has reasons.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np
import pandas as pd

NO_POSITIVE_FACTOR = "no recorded factor raised this score above the average for the cohort"


def _is_missing(v: object) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA or v is pd.NaT


def _int(v: object) -> int:
    return int(round(float(v)))


def _times(n: int) -> str:
    return {1: "once", 2: "twice"}.get(n, f"{n} times")


def _count(n: int, singular: str, plural: str | None = None, none: str | None = None) -> str:
    plural = plural or singular + "s"
    if n == 0 and none is not None:
        return none
    return f"{n} {singular if n == 1 else plural}"


def _flag(true: str, false: str) -> Callable[[object], str]:
    return lambda v: true if bool(v) else false


PHRASES: dict[str, Callable[[object], str]] = {
    "age_years": lambda v: f"aged {_int(v)}",
    "age_first_known_to_csc": lambda v: "not known to children's social care" if _is_missing(v)
    else f"first known to children's social care at {_int(v)}",
    "has_dv_factor": _flag("domestic violence recorded in a social-care assessment", "no domestic violence factor recorded"),
    "has_gangs_factor": _flag("a gangs factor in a social-care assessment", "no gangs factor recorded"),
    "has_cce_factor": _flag("a child criminal exploitation factor in a social-care assessment", "no criminal exploitation factor recorded"),
    "has_cse_factor": _flag("a child sexual exploitation factor in a social-care assessment", "no sexual exploitation factor recorded"),
    "primary_schools_attended": lambda v: _count(_int(v), "primary school attended", "primary schools attended", "no primary school on record"),
    "secondary_schools_attended": lambda v: _count(_int(v), "secondary school attended", "secondary schools attended", "no secondary school on record"),
    "absence_rate_last_3_terms": lambda v: "no school attendance recorded in the last 3 terms" if _is_missing(v)
    else f"absent for {float(v):.0f}% of school sessions over the last 3 terms",  # a percentage (0-100)
    "persistent_absence_terms_last_3": lambda v: f"persistently absent in {_int(v)} of the last 3 terms",
    "is_persistently_absent_latest_term": _flag("persistently absent last term", "not persistently absent last term"),
    "is_severely_absent_latest_term": _flag("severely absent last term", "not severely absent last term"),
    "suspensions_last_12m": lambda v: _count(_int(v), "suspension", none="no suspension") + " in the last 12 months",
    "suspensions_ever": lambda v: _count(_int(v), "suspension", none="no suspension") + " on record",
    "permanent_exclusions_ever": lambda v: "never permanently excluded" if _int(v) == 0 else f"permanently excluded {_times(_int(v))}",
    "csc_referrals_ever": lambda v: _count(_int(v), "referral", none="no referral") + " to children's social care",
    "is_child_in_need_open": _flag("an open child-in-need episode", "no open child-in-need episode"),
    "has_cp_plan_ever": _flag("has had a child protection plan", "never on a child protection plan"),
    "is_on_cp_plan": _flag("on a child protection plan", "not on a child protection plan"),
    "has_been_looked_after": _flag("has been looked after", "never looked after"),
    "is_looked_after": _flag("currently looked after", "not currently looked after"),
    "missing_episodes_last_12m": lambda v: "not missing in the last 12 months" if _int(v) == 0
    else f"missing {_times(_int(v))} in the last 12 months",
    "missing_episodes_ever": lambda v: "never reported missing" if _int(v) == 0 else f"missing {_times(_int(v))} in total",
    "police_victim_contacts_ever": lambda v: _count(_int(v), "police contact", none="no police contact") + " as a victim",
    "police_suspect_contacts_ever": lambda v: _count(_int(v), "police contact", none="no police contact") + " as a suspect",
    "arrests_ever": lambda v: "never arrested" if _int(v) == 0 else f"arrested {_times(_int(v))}",
    "age_first_arrest": lambda v: "never arrested" if _is_missing(v) else f"first arrested at {_int(v)}",
    "yos_interventions_ever": lambda v: _count(_int(v), "youth offending service intervention", none="no youth offending service intervention"),
    "is_known_to_yos": _flag("known to the youth offending service", "not known to the youth offending service"),
    "has_substantive_outcome": _flag("has had a caution or conviction", "no caution or conviction"),
    "nrm_referrals_ever": lambda v: "never referred to the National Referral Mechanism" if _int(v) == 0
    else f"referred to the National Referral Mechanism {_times(_int(v))}",
    "semh_referrals_ever": lambda v: _count(_int(v), "referral", none="no referral") + " to mental-health (SEMH) services",
}


def phrase(feature: str, value: object) -> str:
    """The plain-words statement of one raw feature value."""
    try:
        template = PHRASES[feature]
    except KeyError:
        raise KeyError(f"no phrase template for feature {feature!r}") from None
    return template(value)


def reasons_from_contributions(frame: pd.DataFrame, contributions: pd.DataFrame, top: int = 3) -> list[list[str]]:
    """Top ``top`` positive contributions per row, phrased from the row's raw values."""
    values = contributions.to_numpy()
    features = list(contributions.columns)
    raw = frame[features]
    out: list[list[str]] = []
    for i in range(len(frame)):
        row = values[i]
        order = np.argsort(-row, kind="stable")
        reasons = [phrase(features[j], raw.iat[i, j]) for j in order[:top] if row[j] > 0]
        out.append(reasons or [NO_POSITIVE_FACTOR])
    return out


def reasons(model, frame: pd.DataFrame, top: int = 3) -> list[list[str]]:
    """Reasons for every row of ``frame`` from a ``models.ScoringModel``."""
    if len(frame) == 0:
        return []
    return reasons_from_contributions(frame, model.contributions(frame), top=top)
