"""Dates as integer day numbers (days since 1970-01-01), and school terms as day numbers."""

from __future__ import annotations

from datetime import date

import numpy as np

from youth_safety.school_calendar import terms_of

EPOCH = date(1970, 1, 1)
DAYS_PER_YEAR = 365.25

SESSIONS_PER_TERM = {"AUT": 140, "SPR": 116, "SUM": 124}
# Night each term's attendance is delivered: (month, day) after the term, in the year after
# the academic year starts for AUT and SPR, and in the next academic year for SUM.
ATTENDANCE_DELIVERY = {"AUT": (1, 24), "SPR": (5, 20), "SUM": (10, 10)}


def day(d: date) -> int:
    return (d - EPOCH).days


def iso(days: np.ndarray) -> np.ndarray:
    """ISO date strings for an array of day numbers; negative sentinel (-1) gives ''."""
    days = np.asarray(days)
    out = np.datetime_as_string(days.astype("datetime64[D]"), unit="D").astype(object)
    out[days < 0] = ""
    return out


def academic_year_start(ay: int) -> int:
    """Day number of 1 September of academic year ``ay`` (ay=2023 is 2023/24)."""
    return day(date(ay, 9, 1))


def academic_year_label(ay: int) -> str:
    return f"{ay}/{(ay + 1) % 100:02d}"


def academic_cohort(dob_days: np.ndarray) -> np.ndarray:
    """The calendar year whose 1 September opens a child's school year of birth."""
    dates = dob_days.astype("datetime64[D]")
    years = dates.astype("datetime64[Y]").astype(int) + 1970
    months = (dates.astype("datetime64[M]").astype(int) % 12) + 1
    return np.where(months >= 9, years, years - 1)


def term_bounds(ay: int) -> list[tuple[str, int, int]]:
    """The terms of an academic year, from the shared school calendar, as (code, first day, last day)."""
    return [(t.term, day(t.first_day), day(t.last_day)) for t in terms_of(academic_year_label(ay))]
