"""Children's social care: referrals, assessments and factors, CP plans, care, missing.

Rates rise with latent risk and with household domestic violence and parental offending,
so the Spark-review profile (early contact, domestic-violence factors, many missing
episodes among looked-after adolescents) emerges for the highest-risk children.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from youth_safety.generator.timeline import DAYS_PER_YEAR, day


@dataclass(frozen=True)
class CareRecords:
    referrals: pd.DataFrame
    assessments: pd.DataFrame
    cp_plans: pd.DataFrame
    cla_episodes: pd.DataFrame
    missing: pd.DataFrame
    known_from: pd.Series  # person_id -> first referral day, for everyone in any table above


def _logistic(x):
    return 1 / (1 + np.exp(-x))


def person_years(people: pd.DataFrame, first_day: int, end_day: int, min_age: int, max_age: int) -> pd.DataFrame:
    """One row per resident and year of age in [min_age, max_age], clipped to the window and presence."""
    res = people[people["resident"]]
    n_ages = max_age - min_age + 1
    py = pd.DataFrame({"person_id": np.repeat(res["person_id"].to_numpy(), n_ages)})
    py["age"] = np.tile(np.arange(min_age, max_age + 1), len(res))
    for col in ("dob", "arrive", "leave", "risk", "sex", "ethnicity", "deprived", "domestic_violence", "parental_offending"):
        py[col] = np.repeat(res[col].to_numpy(), n_ages)
    py["lo"] = np.maximum.reduce([py["dob"] + (py["age"] * DAYS_PER_YEAR).astype(int), py["arrive"], np.full(len(py), first_day)])
    py["hi"] = np.minimum.reduce([py["dob"] + ((py["age"] + 1) * DAYS_PER_YEAR).astype(int) - 1, py["leave"], np.full(len(py), end_day)])
    return py[py["lo"] <= py["hi"]].reset_index(drop=True)


def draw_events(rng, py: pd.DataFrame, rate: np.ndarray) -> pd.DataFrame:
    """Poisson events per person-year at ``rate`` per year; each row keeps its person-year's columns."""
    span = (py["hi"] - py["lo"] + 1).to_numpy()
    counts = rng.poisson(rate * span / DAYS_PER_YEAR)
    idx = np.repeat(np.arange(len(py)), counts)
    ev = py.iloc[idx].reset_index(drop=True)
    ev["event_day"] = ev["lo"] + (rng.random(len(ev)) * (ev["hi"] - ev["lo"] + 1)).astype(int)
    return ev.sort_values(["event_day", "person_id"], kind="stable", ignore_index=True)


REFERRAL_SOURCES = ["1A", "1C", "2A", "3A", "3B", "3E", "3F", "4", "5A", "5D", "6", "8", "9", "10"]
REFERRAL_SOURCE_P = [0.08, 0.02, 0.18, 0.04, 0.05, 0.04, 0.08, 0.03, 0.07, 0.04, 0.28, 0.05, 0.02, 0.02]


def _factors(rng, a: pd.DataFrame) -> np.ndarray:
    """The JSON array of CIN factor codes found by each assessment."""
    n = len(a)
    r = a["risk"].clip(-3, 4).to_numpy()
    teen = (a["age"] >= 10).to_numpy()
    male = a["sex"].eq("M").to_numpy()
    dv = a["domestic_violence"].to_numpy()
    po = a["parental_offending"].to_numpy()
    probs = {
        "3A": np.where(dv, 0.35, 0.03), "3B": np.where(dv, 0.6, 0.05),
        "1B": np.where(po, 0.3, 0.06), "2B": np.where(po, 0.35, 0.07), "4B": np.full(n, 0.22),
        "16A": 0.12 + 0.08 * a["deprived"].to_numpy(), "17A": np.full(n, 0.18), "18C": np.full(n, 0.06),
        "19C": np.full(n, 0.02), "4A": np.where(teen, 0.12, 0.03), "5A": np.full(n, 0.03),
        "13A": teen * _logistic(-4.4 + 1.3 * r + 0.6 * male), "24A": teen * _logistic(-4.3 + 1.3 * r + 0.3 * male),
        "11A": teen * _logistic(-4.6 + 1.0 * r + 1.0 * ~male), "10A": teen * _logistic(-3.4 + 1.0 * r),
        "14A": teen * _logistic(-2.6 + 0.9 * r), "2A": teen * _logistic(-3.8 + 0.9 * r),
        "15A": teen * np.where(male, 0.03, 0.07), "7A": np.full(n, 0.02),
    }
    found = {code: rng.random(n) < p for code, p in probs.items()}
    out = np.empty(n, dtype=object)
    codes = np.array(list(found))
    matrix = np.column_stack(list(found.values()))
    for i in range(n):
        hits = codes[matrix[i]].tolist()
        out[i] = json.dumps(hits or ["21"], separators=(",", ":"))
    return out


def _assessments(rng, refs: pd.DataFrame, end_day: int) -> pd.DataFrame:
    a = refs[rng.random(len(refs)) < 0.86].copy()
    a["start_day"] = a["ref_day"] + rng.integers(0, 8, len(a))
    a["auth_day"] = a["start_day"] + rng.integers(8, 46, len(a))
    a = a[a["start_day"] <= end_day].reset_index(drop=True)
    a["factors"] = _factors(rng, a)
    a["assessment_id"] = np.arange(1, len(a) + 1)
    return a


def _care_periods(rng, refs: pd.DataFrame) -> pd.DataFrame:
    """Care entries from referrals: at most one open period per child."""
    r = refs["risk"].clip(-3, 4).to_numpy()
    age_factor = np.select([refs["age"] < 1, refs["age"] < 10, refs["age"] < 16], [2.5, 1.1, 0.75], 0.6)
    cand = refs[rng.random(len(refs)) < 0.078 * np.exp(0.35 * r) * age_factor].copy()
    cand["cla_start"] = cand["ref_day"] + rng.integers(0, 60, len(cand))
    eighteen = cand["dob"] + int(18 * DAYS_PER_YEAR)
    length = np.exp(rng.normal(np.log(500), 1.0, len(cand))).astype(int) + 30
    cand["cla_end"] = np.minimum(cand["cla_start"] + length, eighteen - 1)
    cand = cand[cand["cla_start"] < cand["cla_end"]].sort_values(["person_id", "cla_start"], kind="stable")
    prev_end = cand.groupby("person_id")["cla_end"].shift()
    keep = prev_end.isna() | (cand["cla_start"] > prev_end)
    return cand[keep].reset_index(drop=True)


LEGAL_STATUS = ["C1", "C2", "V2", "J1", "E1"]
PLACEMENTS = ["U1", "U4", "K2", "R1", "H5", "P1", "Z1"]
CEASED = ["E13", "E4A", "E11", "E41", "E45", "E8", "E48"]


def _cla_episodes(rng, periods: pd.DataFrame) -> pd.DataFrame:
    """Split each care period into episodes at placement or legal-status changes."""
    extra = rng.poisson(0.6 * np.exp(0.4 * periods["risk"].clip(-3, 4).to_numpy()))
    n = 1 + extra
    idx = np.repeat(np.arange(len(periods)), n)
    ep = periods.iloc[idx][["person_id", "dob", "risk", "cla_start", "cla_end", "ref_id"]].reset_index(drop=True)
    ep["k"] = np.concatenate([np.arange(m) for m in n])
    ep["n"] = n[idx]
    cuts = np.sort(rng.random((len(ep), 1)), axis=1)[:, 0]
    span = ep["cla_end"] - ep["cla_start"]
    ep["start_day"] = np.where(ep["k"] == 0, ep["cla_start"], ep["cla_start"] + (span * ((ep["k"] + cuts * 0.5) / ep["n"])).astype(int))
    ep = ep.sort_values(["person_id", "cla_start", "k"], kind="stable", ignore_index=True)
    next_start = ep.groupby(["person_id", "cla_start"])["start_day"].shift(-1)
    ep["end_day"] = np.where(next_start.isna(), ep["cla_end"], next_start)
    ep["rne"] = np.where(ep["k"] == 0, "S", rng.choice(["P", "T", "B", "L"], size=len(ep), p=[0.6, 0.2, 0.1, 0.1]))
    ep["legal_status"] = rng.choice(LEGAL_STATUS, size=len(ep), p=[0.25, 0.35, 0.3, 0.05, 0.05])
    ep["placement"] = rng.choice(PLACEMENTS, size=len(ep), p=[0.15, 0.45, 0.12, 0.05, 0.12, 0.03, 0.08])
    last = next_start.isna().to_numpy()
    adult = (ep["end_day"] >= ep["dob"] + int(18 * DAYS_PER_YEAR) - 2).to_numpy()
    ep["rec"] = np.where(~last, "X1", np.where(adult, "E48", rng.choice(CEASED, size=len(ep))))
    return ep


def _missing(rng, people: pd.DataFrame, periods: pd.DataFrame, refs: pd.DataFrame, first_day: int, end_day: int) -> pd.DataFrame:
    """Missing and away episodes of children aged 10-17 once known to social care."""
    py = person_years(people, first_day, end_day, 10, 17)
    known_from = refs.groupby("person_id")["ref_day"].min().reindex(py["person_id"]).to_numpy()
    py = py.assign(lo=np.fmax(py["lo"], known_from))[~np.isnan(known_from)]
    py = py[py["lo"] <= py["hi"]].astype({"lo": int}).reset_index(drop=True)
    from_home = draw_events(rng, py, np.minimum(0.12 * np.exp(1.05 * py["risk"].clip(-3, 4).to_numpy()), 6.0))
    from_home["in_care"] = False
    # Looked-after adolescents go missing far more often (the Spark profile's 10+ episodes).
    cared = py.merge(periods[["person_id", "cla_start", "cla_end"]], on="person_id")
    cared = cared.assign(lo=np.maximum(cared["lo"], cared["cla_start"]), hi=np.minimum(cared["hi"], cared["cla_end"]))
    cared = cared[cared["lo"] <= cared["hi"]].drop(columns=["cla_start", "cla_end"]).reset_index(drop=True)
    from_care = draw_events(rng, cared, np.minimum(0.9 * np.exp(0.9 * cared["risk"].clip(-3, 4).to_numpy()), 12.0))
    from_care["in_care"] = True
    ev = pd.concat([from_home, from_care], ignore_index=True).sort_values(["event_day", "person_id"], kind="stable", ignore_index=True)
    ev["type"] = np.where(ev["in_care"] & (rng.random(len(ev)) < 0.35), "A", "M")
    ev["start_day"] = ev["event_day"]
    ev["end_day"] = ev["start_day"] + rng.geometric(0.55, len(ev)) - 1
    ev["rhi_offered"] = np.where(rng.random(len(ev)) < 0.88, "Y", "N")
    ev["rhi_accepted"] = np.where((ev["rhi_offered"] == "Y") & (rng.random(len(ev)) < 0.62), "Y", "N")
    return ev


WARM_UP_YEARS = 10


def simulate_care(rng, people: pd.DataFrame, start: date, end: date) -> CareRecords:
    """What the social care system records for the borough's resident children.

    Simulation starts some years before ``start`` so that episodes open at ``start``
    (children already in care, plans already running) are there, as in a real extract;
    records that closed before ``start`` are left out.
    """
    first_day, end_day = day(start), day(end)
    warm_up_day = first_day - int(WARM_UP_YEARS * DAYS_PER_YEAR)
    py = person_years(people, warm_up_day, end_day, 0, 17)
    r = py["risk"].clip(-3, 4).to_numpy()
    base = np.select([py["age"] < 1, py["age"] < 10, py["age"] < 16], [0.045, 0.022, 0.03], 0.024)
    rate = base * np.exp(0.85 * r + 0.5 * py["domestic_violence"].to_numpy() + 0.3 * py["parental_offending"].to_numpy())
    refs = draw_events(rng, py, rate).rename(columns={"event_day": "ref_day"})
    refs["ref_id"] = np.arange(1, len(refs) + 1)
    refs["source"] = rng.choice(REFERRAL_SOURCES, size=len(refs), p=REFERRAL_SOURCE_P)
    refs["need"] = rng.choice(["N1", "N2", "N3", "N4", "N5", "N6", "N7", "N8", "N9"], size=len(refs), p=[0.5, 0.05, 0.04, 0.12, 0.14, 0.06, 0.01, 0.03, 0.05])
    assessments = _assessments(rng, refs, end_day)
    r_ref = refs["risk"].clip(-3, 4).to_numpy()
    cp = refs[rng.random(len(refs)) < 0.1 * np.exp(0.3 * r_ref)].copy()
    cp["start_day"] = cp["ref_day"] + rng.integers(20, 70, len(cp))
    cp["end_day"] = cp["start_day"] + np.exp(rng.normal(np.log(280), 0.5, len(cp))).astype(int)
    cp["category"] = rng.choice(["NEG", "EMO", "PHY", "SAB", "MUL"], size=len(cp), p=[0.45, 0.35, 0.1, 0.04, 0.06])
    cp = cp[cp["start_day"] <= end_day].reset_index(drop=True)
    periods = _care_periods(rng, refs)
    episodes = _cla_episodes(rng, periods)
    cin_end = np.maximum.reduce([
        refs["ref_day"].to_numpy() + rng.integers(20, 400, len(refs)),
        cp.set_index("ref_id")["end_day"].reindex(refs["ref_id"]).fillna(0).to_numpy().astype(int),
        periods.set_index("ref_id")["cla_end"].reindex(refs["ref_id"]).fillna(0).to_numpy().astype(int),
    ])
    refs["close_day"] = cin_end
    missing = _missing(rng, people, periods, refs, warm_up_day, end_day)
    assessments = assessments.merge(refs[["ref_id", "close_day"]], on="ref_id")
    tables = {
        "referrals": refs[refs["close_day"] >= first_day].reset_index(drop=True),
        "assessments": assessments[assessments["close_day"] >= first_day].reset_index(drop=True),
        "cp_plans": cp[cp["end_day"] >= first_day].reset_index(drop=True),
        "cla_episodes": episodes[episodes["end_day"] >= first_day].reset_index(drop=True),
        "missing": missing[missing["start_day"] >= first_day].reset_index(drop=True),
    }
    in_any = np.unique(np.concatenate([t["person_id"].to_numpy() for t in tables.values()]))
    known_from = refs.groupby("person_id")["ref_day"].min().reindex(in_any)
    return CareRecords(**tables, known_from=known_from)
