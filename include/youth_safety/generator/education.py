"""School careers: enrolments, termly attendance, suspensions, exclusions, attainment, NEET.

Works on a table of pupil-years (one row per pupil and academic year on roll), so every
draw is vectorised; a year splits into two segments when the pupil changes school
mid-year (a move, or a permanent exclusion to alternative provision).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from youth_safety.config import CODES_DIR
from youth_safety.generator.timeline import (
    ATTENDANCE_DELIVERY,
    SESSIONS_PER_TERM,
    academic_cohort,
    academic_year_start,
    day,
    term_bounds,
)

EXCLUSION_REASONS = ["PD", "PP", "PA", "VA", "VP", "DA", "OW", "BU", "DM", "MT", "RA", "SM", "LG", "OT"]
EXCLUSION_REASON_P = [0.34, 0.16, 0.08, 0.1, 0.07, 0.06, 0.04, 0.04, 0.03, 0.02, 0.02, 0.01, 0.02, 0.01]


@dataclass(frozen=True)
class SchoolRecords:
    enrolments: pd.DataFrame
    attendance: pd.DataFrame
    exclusions: pd.DataFrame
    attainment: pd.DataFrame
    post16: pd.DataFrame
    pupils: pd.DataFrame  # person-level: sen, fsm period, upn


def _schools() -> dict[str, np.ndarray]:
    with open(CODES_DIR / "school.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return {phase: np.array([r["code"] for r in rows if r["phase"] == phase], dtype=object) for phase in ("primary", "secondary", "alternative_provision")}


def _logistic(x):
    return 1 / (1 + np.exp(-x))


def _school_days(first_ay: int, last_ay: int) -> np.ndarray:
    """Every weekday inside a term, as day numbers, sorted."""
    days = []
    for ay in range(first_ay, last_ay + 1):
        for _, lo, hi in term_bounds(ay):
            span = np.arange(lo, hi + 1)
            days.append(span[((span + 3) % 7) < 5])  # 1970-01-01 was a Thursday
    return np.concatenate(days)


def _pupil_years(rng, pupils: pd.DataFrame, first_ay: int, last_ay: int) -> pd.DataFrame:
    """One row per pupil and academic year on roll between first_ay and last_ay."""
    ay0 = academic_cohort(pupils["dob"].to_numpy()) + 5
    sixth = rng.random(len(pupils)) < 0.45 * np.exp(-0.3 * pupils["risk"].clip(-2, 3))
    n_years = np.where(sixth, 14, 12)
    rows = pd.DataFrame({"person_id": np.repeat(pupils["person_id"].to_numpy(), n_years)})
    rows["k"] = np.concatenate([np.arange(n) for n in n_years])
    idx = np.repeat(np.arange(len(pupils)), n_years)
    rows["ay"] = ay0[idx] + rows["k"]
    for col in ("arrive", "leave", "risk", "resident"):
        rows[col] = pupils[col].to_numpy()[idx]
    rows = rows[(rows["ay"] >= first_ay) & (rows["ay"] <= last_ay)].reset_index(drop=True)
    ay_start = np.array([academic_year_start(a) for a in range(first_ay, last_ay + 2)])
    rows["year_first"] = ay_start[rows["ay"] - first_ay] + 3
    rows["year_last"] = ay_start[rows["ay"] - first_ay + 1] - 42  # about 21 July
    rows["seg_start"] = np.maximum(rows["year_first"], rows["arrive"])
    rows["seg_end"] = np.minimum(rows["year_last"], rows["leave"])
    rows = rows[rows["seg_start"] <= rows["seg_end"]].reset_index(drop=True)
    rows["phase"] = np.select([rows["k"] <= 6, rows["k"] <= 11], ["primary", "secondary"], "sixth_form")
    return rows


def _split_segments(rng, years: pd.DataFrame, end_day: int) -> pd.DataFrame:
    """Mid-year school changes: moves, and permanent exclusions to alternative provision."""
    secondary = years["phase"].eq("secondary").to_numpy()
    risk = years["risk"].clip(-3, 4).to_numpy()
    frac = (years["seg_end"] - years["seg_start"] + 1) / 320
    move_rate = np.where(secondary, 0.05, 0.06) * np.exp(0.55 * risk)
    susp_rate = np.where(secondary, 0.085, np.where(years["phase"].eq("primary"), 0.012, 0.03)) * np.exp(1.25 * risk)
    years["suspensions"] = rng.poisson(susp_rate * frac)
    perm_p = np.where(secondary, 0.0009, 0.0001) * np.exp(1.0 * risk) * (1 + years["suspensions"].to_numpy())
    years["perm"] = (rng.random(len(years)) < perm_p) & (years["seg_end"].to_numpy() - years["seg_start"].to_numpy() > 60)
    years["move"] = ~years["perm"] & (rng.random(len(years)) < move_rate * frac) & (years["seg_end"] - years["seg_start"] > 60)
    split = years["perm"] | years["move"]
    change = years["seg_start"] + ((years["seg_end"] - years["seg_start"]) * rng.uniform(0.2, 0.8, len(years))).astype(int)
    years["change_day"] = np.where(split, change, -1)
    first = years.copy()
    first["seg_end"] = np.where(split, change - 1, first["seg_end"])
    first["seg_kind"] = "main"
    second = years[split].copy()
    second["seg_start"] = change[split] + 5
    second["seg_kind"] = np.where(second["perm"], "ap", "moved")
    second["suspensions"] = 0
    second["perm"] = False
    segs = pd.concat([first, second], ignore_index=True)
    segs = segs[segs["seg_start"] <= np.minimum(segs["seg_end"], end_day)]
    return segs.sort_values(["person_id", "ay", "seg_start"], kind="stable", ignore_index=True)


def _assign_schools(rng, segs: pd.DataFrame) -> pd.DataFrame:
    """A spell is a run of segments at one school; give each spell a school of its phase."""
    schools = _schools()
    prev_person = segs["person_id"].shift()
    prev_phase = segs["phase"].shift()
    prev_kind = segs["seg_kind"].shift()
    prev_end = segs["seg_end"].shift()
    new_spell = (
        segs["person_id"].ne(prev_person)
        | (segs["phase"].ne(prev_phase) & ~(segs["phase"].eq("sixth_form") & prev_phase.eq("secondary")))
        | segs["seg_kind"].isin(["ap", "moved"])
        | (prev_kind.eq("ap") & (rng.random(len(segs)) < 0.6))
        | (segs["seg_start"] - prev_end > 120)
    )
    segs["spell"] = new_spell.cumsum()
    spell_first = segs.groupby("spell").head(1)
    phase = np.where(spell_first["seg_kind"].eq("ap"), "alternative_provision", np.where(spell_first["phase"].eq("primary"), "primary", "secondary"))
    pick = {p: schools[p][rng.integers(len(schools[p]), size=len(spell_first))] for p in schools}
    school = np.select([phase == p for p in schools], [pick[p] for p in schools])
    segs["school_urn"] = pd.Series(school, index=spell_first["spell"].to_numpy()).reindex(segs["spell"]).to_numpy()
    return segs


def _enrolments(segs: pd.DataFrame, snapshot_last_day: int) -> pd.DataFrame:
    spells = segs.groupby("spell").agg(
        person_id=("person_id", "first"), school_urn=("school_urn", "first"),
        entry_day=("seg_start", "min"), leave_day=("seg_end", "max"), last_k=("k", "max"),
    ).reset_index()
    spells["leave_day"] = np.where(spells["leave_day"] >= snapshot_last_day, -1, spells["leave_day"])
    return spells


def _attendance(rng, segs: pd.DataFrame, pupils: pd.DataFrame, end_day: int) -> pd.DataFrame:
    rows = []
    for ay in np.unique(segs["ay"]):
        in_year = segs[segs["ay"] == ay]
        for term, lo, hi in term_bounds(int(ay)):
            overlap = np.minimum(in_year["seg_end"], hi) - np.maximum(in_year["seg_start"], lo) + 1
            ok = overlap > 0
            if not ok.any():
                continue
            part = in_year.loc[ok, ["person_id", "spell", "school_urn", "risk", "phase"]].copy()
            part["possible"] = np.round(SESSIONS_PER_TERM[term] * overlap[ok] / (hi - lo + 1)).astype(int)
            part["ay"], part["term"] = int(ay), term
            m, d = ATTENDANCE_DELIVERY[term]
            part["deliver_day"] = day(date(int(ay) + 1, m, d))
            rows.append(part)
    att = pd.concat(rows, ignore_index=True)
    att = att.groupby(["person_id", "spell", "ay", "term"], sort=True).agg(
        school_urn=("school_urn", "first"), risk=("risk", "first"), phase=("phase", "first"),
        possible=("possible", "sum"), deliver_day=("deliver_day", "first"),
    ).reset_index()
    att = att[(att["possible"] > 0) & (att["deliver_day"] <= end_day)].reset_index(drop=True)
    propensity = pupils.set_index("person_id")["absence_propensity"].reindex(att["person_id"]).to_numpy()
    covid = np.where(att["ay"] >= 2020, 0.45, 0.0)
    rate = _logistic(propensity + 0.35 * att["phase"].ne("primary") + covid + rng.normal(0, 0.5, len(att)))
    absent = rng.binomial(att["possible"], np.clip(rate, 0, 0.97))
    authorised_share = _logistic(0.9 - 0.6 * att["risk"].clip(-3, 4))
    att["authorised"] = rng.binomial(absent, authorised_share)
    att["unauthorised"] = absent - att["authorised"]
    return att


def _exclusions(rng, segs: pd.DataFrame, school_days: np.ndarray) -> pd.DataFrame:
    susp = segs[segs["suspensions"] > 0]
    idx = np.repeat(susp.index.to_numpy(), susp["suspensions"].to_numpy())
    ex = pd.DataFrame({
        "person_id": segs.loc[idx, "person_id"].to_numpy(), "school_urn": segs.loc[idx, "school_urn"].to_numpy(),
        "category": "FIXD",
    })
    lo = np.searchsorted(school_days, segs.loc[idx, "seg_start"].to_numpy())
    hi = np.searchsorted(school_days, segs.loc[idx, "seg_end"].to_numpy(), side="right")
    ex["start_day"] = school_days[np.minimum(lo + (rng.random(len(idx)) * np.maximum(hi - lo, 1)).astype(int), len(school_days) - 1)]
    ex["sessions"] = rng.choice([1, 2, 2, 4, 6, 10, 20], size=len(ex))
    perm = segs[segs["perm"]]
    pe = pd.DataFrame({
        "person_id": perm["person_id"].to_numpy(), "school_urn": perm["school_urn"].to_numpy(), "category": "PERM",
        "start_day": school_days[np.minimum(np.searchsorted(school_days, perm["change_day"].to_numpy()), len(school_days) - 1)],
        "sessions": -1,
    })
    out = pd.concat([ex, pe], ignore_index=True).sort_values(["start_day", "person_id"], kind="stable", ignore_index=True)
    out["reason"] = rng.choice(EXCLUSION_REASONS, size=len(out), p=EXCLUSION_REASON_P)
    out["deliver_day"] = out["start_day"] + rng.integers(1, 4, size=len(out))
    return out


def _attainment(rng, segs: pd.DataFrame, end_day: int) -> pd.DataFrame:
    last = segs.groupby(["person_id", "ay"]).tail(1)
    stages = {0: "EYFS", 6: "KS2", 11: "KS4"}
    at = last[last["k"].isin(list(stages))].copy()
    at["key_stage"] = at["k"].map(stages)
    risk = at["risk"].clip(-3, 4).to_numpy()
    at["gld"] = np.where(at["key_stage"].eq("EYFS"), np.where(rng.random(len(at)) < _logistic(0.9 - 0.5 * risk), "Y", "N"), "")
    at["ks2"] = np.where(at["key_stage"].eq("KS2"), np.where(rng.random(len(at)) < _logistic(0.75 - 0.55 * risk), "Y", "N"), "")
    a8 = np.clip(rng.normal(48 - 6.5 * risk, 12), 0, 90)
    p8 = np.clip(rng.normal(-0.05 - 0.35 * risk, 0.8), -5, 4)
    is_ks4 = at["key_stage"].eq("KS4").to_numpy()
    at["a8"] = np.where(is_ks4, np.round(a8, 1).astype(str), "")
    at["p8"] = np.where(is_ks4, np.round(p8, 2).astype(str), "")
    at["deliver_day"] = np.array([day(date(int(a) + 1, 10, 15)) for a in at["ay"]])
    return at[at["deliver_day"] <= end_day].reset_index(drop=True)


def _post16(rng, segs: pd.DataFrame, people: pd.DataFrame, first_day: int, end_day: int) -> pd.DataFrame:
    """Monthly activity of residents in the two years after year 11 (ages 16 and 17)."""
    res = people[people["resident"]]
    ay16 = academic_cohort(res["dob"].to_numpy()) + 17
    months = []
    in_sixth = set(zip(segs.loc[segs["phase"].eq("sixth_form"), "person_id"], segs.loc[segs["phase"].eq("sixth_form"), "ay"]))
    neet_base = _logistic(-3.1 + 0.85 * res["risk"].clip(-3, 4).to_numpy() + 0.3 * res["deprived"].to_numpy())
    for offset in range(24):
        ay = ay16 + offset // 12
        month_index = (offset % 12 + 8) % 12  # September first
        year = np.where(month_index >= 8, ay, ay + 1)
        month_day = np.array([day(date(int(y), month_index + 1, 1)) for y in year])
        present = (month_day >= res["arrive"].to_numpy()) & (month_day <= res["leave"].to_numpy())
        window = (month_day >= first_day) & (month_day < end_day - 31)
        keep = present & window
        months.append(pd.DataFrame({
            "person_id": res["person_id"].to_numpy()[keep], "ay": ay[keep], "month_day": month_day[keep],
            "neet_p": neet_base[keep],
        }))
    m = pd.concat(months, ignore_index=True)
    sixth = np.array([(p, a) in in_sixth for p, a in zip(m["person_id"], m["ay"])], dtype=bool)
    person_neet = rng.random(len(m)) < m["neet_p"]
    u = rng.random(len(m))
    activity = np.where(sixth, "EDU", np.where(person_neet, "NEET", np.where(u < 0.03, "UNK", np.where(u < 0.75, "EDU", np.where(u < 0.85, "APP", np.where(u < 0.95, "EMP", "TRN"))))))
    m["activity"] = activity
    m["deliver_day"] = m["month_day"] + 32 - (pd.to_datetime(m["month_day"], unit="D").dt.day.to_numpy()) + 1
    return m[m["deliver_day"] <= end_day].reset_index(drop=True)


def _pupil_traits(rng, pupils: pd.DataFrame) -> pd.DataFrame:
    risk = pupils["risk"].clip(-3, 4).to_numpy()
    u = rng.random(len(pupils))
    p_ehcp = _logistic(-4.8 + 1.35 * risk)
    p_support = _logistic(-2.15 + 0.9 * risk)
    sen = np.where(u < p_ehcp, "E", np.where(u < p_ehcp + p_support, "K", "N"))
    fsm = pupils["deprived"].to_numpy() & (rng.random(len(pupils)) < 0.9)
    temporary = ~pupils["deprived"].to_numpy() & (rng.random(len(pupils)) < 0.08)
    school_start = np.array([academic_year_start(int(a) + 5) for a in academic_cohort(pupils["dob"].to_numpy())])
    fsm_start = np.where(fsm, school_start + rng.integers(0, 3 * 365, len(pupils)), np.where(temporary, school_start + rng.integers(0, 8 * 365, len(pupils)), -1))
    fsm_end = np.where(temporary, fsm_start + rng.integers(180, 3 * 365, len(pupils)), -1)
    return pd.DataFrame({
        "person_id": pupils["person_id"].to_numpy(), "sen": sen, "fsm_start": fsm_start, "fsm_end": fsm_end,
        "absence_propensity": -3.2 + 0.6 * risk + rng.normal(0, 0.45, len(pupils)),
    })


def simulate_schooling(rng, people: pd.DataFrame, start: date, end: date) -> SchoolRecords:
    """Everything the education database records for pupils of the borough's schools."""
    pupils = people[people["in_state_school"] | ~people["resident"]]
    first_ay = start.year - 14
    last_ay = end.year if end.month >= 9 else end.year - 1
    end_day, first_day = day(end), day(start)
    traits = _pupil_traits(rng, pupils)
    pupils = pupils.merge(traits[["person_id", "absence_propensity"]], on="person_id")
    segs = _assign_schools(rng, _split_segments(rng, _pupil_years(rng, pupils, first_ay, last_ay), end_day))
    enrol = _enrolments(segs, end_day)
    enrol = enrol[enrol["leave_day"].eq(-1) | (enrol["leave_day"] >= first_day - 365)].reset_index(drop=True)
    in_window = segs[segs["seg_end"] >= first_day]
    school_days = _school_days(first_ay, last_ay + 1)
    exclusions = _exclusions(rng, in_window, school_days)
    return SchoolRecords(
        enrolments=enrol,
        attendance=_attendance(rng, in_window, pupils, end_day),
        exclusions=exclusions[(exclusions["start_day"] >= first_day) & (exclusions["deliver_day"] <= end_day)].reset_index(drop=True),
        attainment=_attainment(rng, in_window, end_day),
        post16=_post16(rng, segs, people, first_day, end_day),
        pupils=traits,
    )
