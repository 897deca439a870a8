"""The school calendar: the term dates of each academic year, kept as a dbt seed.

``dbt_project/seeds/reference/school_terms.csv`` is the one list of terms; the
generator schedules school days from it and the quality gate judges exclusion dates
against it (EXC-01).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from youth_safety.config import DBT_PROJECT_DIR

TERMS_PATH = DBT_PROJECT_DIR / "seeds" / "reference" / "school_terms.csv"


@dataclass(frozen=True)
class Term:
    academic_year: str  # as 2023/24
    term: str  # AUT, SPR or SUM
    first_day: date
    last_day: date


@cache
def school_terms(path: Path = TERMS_PATH) -> tuple[Term, ...]:
    """Every term of the calendar, in date order; overlapping or reversed terms are an error."""
    with open(path, newline="") as fh:
        terms = tuple(
            Term(row["academic_year"], row["term"], date.fromisoformat(row["first_day"]), date.fromisoformat(row["last_day"]))
            for row in csv.DictReader(fh)
        )
    ordered = tuple(sorted(terms, key=lambda t: t.first_day))
    for term, following in zip(ordered, (*ordered[1:], None)):
        if term.first_day > term.last_day or (following and term.last_day >= following.first_day):
            raise ValueError(f"{path}: term {term.academic_year} {term.term} ends before it starts or overlaps the next term")
    return ordered


def terms_of(academic_year: str) -> tuple[Term, ...]:
    """The terms of one academic year (as 2023/24), in date order."""
    found = tuple(t for t in school_terms() if t.academic_year == academic_year)
    if not found:
        raise KeyError(f"{TERMS_PATH}: no terms for academic year {academic_year}")
    return found


def in_term(days: pd.Series) -> np.ndarray:
    """Which dates (datetime64; NaT is never in term) fall on or between a term's first and last day."""
    terms = school_terms()
    firsts = np.array([t.first_day for t in terms], dtype="datetime64[D]")
    lasts = np.array([t.last_day for t in terms], dtype="datetime64[D]")
    values = days.to_numpy().astype("datetime64[D]")
    index = np.searchsorted(firsts, values, side="right") - 1
    return (index >= 0) & (values <= lasts[index.clip(0)])
