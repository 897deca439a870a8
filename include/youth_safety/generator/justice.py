"""Offending, detection and outcomes; victimisation; NRM; the borough's other crime.

Offending follows an age curve peaking at 15-17 and rises steeply with latent risk.
Detection is more likely for some groups than their behaviour alone would give: that
planted enforcement disparity is what the warehouse's Relative Rate Index must find.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from youth_safety.config import CODES_DIR
from youth_safety.generator.social_care import draw_events, person_years
from youth_safety.generator.timeline import DAYS_PER_YEAR, day

OFFENCE_RATE_BY_AGE = {10: 0.0013, 11: 0.0033, 12: 0.0065, 13: 0.0105, 14: 0.0145, 15: 0.017, 16: 0.018, 17: 0.017,
                       18: 0.016, 19: 0.0145, 20: 0.013, 21: 0.012, 22: 0.0105, 23: 0.009, 24: 0.008}
DETECTION_BIAS = {"BCRB": 1.45, "MWBC": 1.3, "BAFR": 1.3, "BOTH": 1.3}
YOUTH_OFFENCES = {"046/00": 0.15, "049/00": 0.1, "039/00": 0.05, "034/02": 0.1, "105/01": 0.12, "008/01": 0.1,
                  "005/01": 0.02, "010/01": 0.08, "010/02": 0.02, "092/05": 0.1, "092/01": 0.04, "058/01": 0.06,
                  "066/00": 0.06}
VICTIM_OFFENCES = {"105/01": 0.4, "008/01": 0.3, "034/02": 0.2, "005/01": 0.05, "008/02": 0.05}
BACKGROUND_OFFENCES_PER_YEAR = 30_000
KNIFE_OFFENCES_PER_YEAR = 590
GUN_OFFENCES_PER_YEAR = 60
FIRST_COURT_SENTENCE = [("RO", 0.7), ("CD", 0.15), ("FINE", 0.05), ("YRO", 0.1)]
LATER_COURT_SENTENCE = [("YRO", 0.45), ("RO", 0.25), ("CD", 0.15), ("FINE", 0.15)]
DETECTION_RATE = 0.25


@dataclass(frozen=True)
class JusticeRecords:
    detections: pd.DataFrame  # detected offences by residents aged 10-24, with outcomes
    victimisations: pd.DataFrame
    interventions: pd.DataFrame
    nrm: pd.DataFrame
    background_crimes: pd.DataFrame
    pnc: pd.Series  # person_id -> PNC id (assigned at first arrest)


def _offence_codes() -> dict[str, dict]:
    with open(CODES_DIR / "offence.csv", newline="") as fh:
        return {r["code"]: r for r in csv.DictReader(fh)}


def _choose(rng, weights: dict[str, float], n: int) -> np.ndarray:
    codes = np.array(list(weights), dtype=object)
    p = np.array(list(weights.values()))
    return codes[rng.choice(len(codes), size=n, p=p / p.sum())]


def _outcomes(rng, det: pd.DataFrame) -> pd.DataFrame:
    """Walk each person's detected offences in order: escalation after earlier outcomes."""
    outcome = np.empty(len(det), dtype=object)
    substantive_before = np.zeros(len(det), dtype=int)
    prior_s: dict[int, int] = {}
    prior_light: dict[int, int] = {}
    u = rng.random((len(det), 3))
    serious = det["serious"].to_numpy()
    youth = (det["age"] < 18).to_numpy()
    risk = det["risk"].clip(-3, 4).to_numpy()
    for i, pid in enumerate(det["person_id"].to_numpy()):
        s, light = prior_s.get(pid, 0), prior_light.get(pid, 0)
        substantive_before[i] = s
        if not youth[i]:
            outcome[i] = "ADULT"
            continue
        if s == 0:
            p_nfa, p_cr, p_yc, p_ycc = 0.3, (0.35 if light < 2 else 0.12), 0.2, 0.07
        else:
            p_nfa, p_cr, p_yc, p_ycc = 0.22, 0.05, (0.1 if s < 2 else 0.02), 0.14
        if serious[i]:
            p_nfa, p_cr, p_yc = p_nfa * 0.6, p_cr * 0.3, p_yc * 0.5
        x = u[i, 0]
        if x < p_nfa:
            outcome[i] = "NFA"
        elif x < p_nfa + p_cr:
            outcome[i] = "CR"
        elif x < p_nfa + p_cr + p_yc:
            outcome[i] = "YC"
        elif x < p_nfa + p_cr + p_yc + p_ycc:
            outcome[i] = "YCC"
        else:
            p_custody = min(0.12 + 0.16 * s * np.exp(0.25 * risk[i]) + 0.12 * serious[i], 0.5)
            if u[i, 1] < p_custody:
                outcome[i] = "DTO" if u[i, 2] < 0.85 else "S250"
            else:
                sentences = FIRST_COURT_SENTENCE if s == 0 else LATER_COURT_SENTENCE
                outcome[i] = sentences[np.searchsorted(np.cumsum([p for _, p in sentences]), u[i, 2]).clip(0, len(sentences) - 1)][0]
        if outcome[i] in ("NFA", "CR"):
            prior_light[pid] = light + 1
        else:
            prior_s[pid] = s + 1
    det = det.assign(outcome=outcome, substantive_before=substantive_before)
    lag = np.where(det["outcome"].isin(["CR", "YC", "YCC"]), rng.integers(7, 60, len(det)), rng.integers(45, 200, len(det)))
    det["outcome_day"] = det["offence_day"] + lag
    return det


def _detections(rng, people: pd.DataFrame, first_day: int, end_day: int) -> pd.DataFrame:
    py = person_years(people, first_day, end_day, 10, 24)
    r = py["risk"].clip(-3, 4).to_numpy()
    rate = py["age"].map(OFFENCE_RATE_BY_AGE).to_numpy() * np.exp(1.7 * r)
    off = draw_events(rng, py, rate).rename(columns={"event_day": "offence_day"})
    p_detect = np.minimum(DETECTION_RATE * off["ethnicity"].map(DETECTION_BIAS).fillna(1.0).to_numpy(), 0.8)
    det = off[rng.random(len(off)) < p_detect].reset_index(drop=True)
    det["offence_code"] = _choose(rng, YOUTH_OFFENCES, len(det))
    codes = _offence_codes()
    det["serious"] = det["offence_code"].map(lambda c: codes[c]["is_most_serious_violence"] == "true").to_numpy()
    det = det.sort_values(["person_id", "offence_day"], kind="stable", ignore_index=True)
    det = _outcomes(rng, det)
    det["arrested"] = rng.random(len(det)) < np.where(det["serious"], 0.95, 0.75)
    violent = det["offence_code"].map(lambda c: codes[c]["is_violence"] == "true").to_numpy()
    det["knife"] = violent & (rng.random(len(det)) < 0.12 * np.exp(0.3 * det["risk"].clip(-3, 4).to_numpy()))
    det["injury"] = violent & (rng.random(len(det)) < 0.45)
    det["firearm"] = violent & (rng.random(len(det)) < 0.01)
    det["domestic"] = violent & (rng.random(len(det)) < 0.08)
    return det.sort_values(["offence_day", "person_id"], kind="stable", ignore_index=True)


def _victimisations(rng, people: pd.DataFrame, first_day: int, end_day: int) -> pd.DataFrame:
    py = person_years(people, first_day, end_day, 1, 24)
    r = py["risk"].clip(-3, 4).to_numpy()
    base = np.select([py["age"] < 10, py["age"] < 15, py["age"] < 20], [0.004, 0.02, 0.04], 0.035)
    vic = draw_events(rng, py, base * np.exp(0.7 * r))
    vic["offence_code"] = _choose(rng, VICTIM_OFFENCES, len(vic))
    teen = vic["age"] >= 13
    vic["knife"] = rng.random(len(vic)) < np.where(teen, 0.11, 0.03) * np.exp(0.35 * vic["risk"].clip(-3, 4).to_numpy())
    vic["injury"] = rng.random(len(vic)) < np.where(vic["knife"], 0.45, 0.4)
    vic["domestic"] = rng.random(len(vic)) < np.where(vic["age"] >= 16, 0.18, 0.06)
    vic["firearm"] = rng.random(len(vic)) < 0.005
    return vic


def _interventions(rng, det: pd.DataFrame) -> pd.DataFrame:
    per_outcome = {"CR": 0.5, "YC": 1.5, "YCC": 4, "CD": 1, "FINE": 0.5, "RO": 8, "YRO": 14, "DTO": 10, "S250": 12}
    yos = det[det["outcome"].isin(list(per_outcome))]
    n = rng.poisson(yos["outcome"].map(per_outcome).to_numpy())
    idx = np.repeat(np.arange(len(yos)), n)
    iv = pd.DataFrame({"person_id": yos["person_id"].to_numpy()[idx]})
    iv["start_day"] = yos["outcome_day"].to_numpy()[idx] + rng.integers(3, 300, len(iv))
    iv["end_day"] = iv["start_day"] + rng.integers(7, 90, len(iv))
    iv["type"] = rng.choice(["SUP", "ETE", "MEN", "SUB", "VIC", "MHW", "FAM", "WEA"], size=len(iv), p=[0.35, 0.12, 0.12, 0.08, 0.1, 0.08, 0.08, 0.07])
    iv = iv.sort_values(["person_id", "start_day"], kind="stable", ignore_index=True)
    change = (rng.random(len(iv)) < 0.25) | iv["person_id"].ne(iv["person_id"].shift())
    iv["worker"] = pd.Series(rng.integers(1, 61, len(iv))).where(change).ffill().astype(int).to_numpy()
    return iv


def _nrm(rng, det: pd.DataFrame, first_day: int) -> pd.DataFrame:
    youth = det[(det["age"] < 18) & (det["offence_day"] >= first_day)].groupby("person_id").agg(
        risk=("risk", "first"), first_day=("offence_day", "min"), sex=("sex", "first")).reset_index()
    ref = youth[rng.random(len(youth)) < 0.12 * np.exp(0.4 * (youth["risk"].clip(-3, 4) - 2))].copy()
    ref["referral_day"] = ref["first_day"] + rng.integers(10, 400, len(ref))
    ref["type"] = np.where(ref["sex"].eq("F") & (rng.random(len(ref)) < 0.5), "CSE", rng.choice(["CCE", "CCE", "CCE", "MIX", "LAB"], size=len(ref)))
    ref["rg"] = np.where(rng.random(len(ref)) < 0.88, "POS", "NEG")
    ref["rg_day"] = ref["referral_day"] + rng.integers(3, 40, len(ref))
    ref["cg"] = np.where(ref["rg"].eq("POS"), np.where(rng.random(len(ref)) < 0.7, "POS", "NEG"), "")
    ref["cg_day"] = np.where(ref["rg"].eq("POS"), ref["rg_day"] + rng.integers(120, 540, len(ref)), -1)
    ref["safety_plan"] = np.where(ref["rg"].eq("POS") & (rng.random(len(ref)) < 0.7), "Y", "N")
    return ref.reset_index(drop=True)


def _background(rng, first_day: int, end_day: int, scale: float, det: pd.DataFrame, vic: pd.DataFrame) -> pd.DataFrame:
    """The borough's crimes with no child or young person of ours involved."""
    codes = list(_offence_codes())
    weights = {c: 1.0 for c in codes}
    weights.update({"046/00": 9, "049/00": 12, "039/00": 5, "044/00": 3, "045/00": 4, "028/01": 3, "030/01": 1.5,
                    "105/01": 7, "008/01": 5, "008/31": 4, "008/66": 3, "058/01": 5, "092/05": 2, "066/00": 3})
    years = (end_day - first_day + 1) / DAYS_PER_YEAR
    n = max(int(BACKGROUND_OFFENCES_PER_YEAR * scale * years) - len(det) - len(vic), 0)
    bg = pd.DataFrame({"offence_day": np.sort(rng.integers(first_day, end_day + 1, n))})
    bg["offence_code"] = _choose(rng, weights, n)
    info = _offence_codes()
    violent = bg["offence_code"].map(lambda c: info[c]["is_violence"] == "true").to_numpy()
    robbery_or_violence = violent & ~bg["offence_code"].isin(["008/31", "008/66"]).to_numpy()
    knife_target = KNIFE_OFFENCES_PER_YEAR * scale * years - det["knife"].sum() - vic["knife"].sum()
    bg["knife"] = robbery_or_violence & (rng.random(n) < max(knife_target, 0) / max(robbery_or_violence.sum(), 1))
    gun_target = GUN_OFFENCES_PER_YEAR * scale * years - det["firearm"].sum() - vic["firearm"].sum()
    bg["firearm"] = robbery_or_violence & ~bg["knife"] & (rng.random(n) < max(gun_target, 0) / max(robbery_or_violence.sum(), 1))
    bg["injury"] = violent & (rng.random(n) < 0.35)
    bg["domestic"] = violent & (rng.random(n) < 0.25)
    return bg


def assign_pnc(rng, det: pd.DataFrame) -> pd.Series:
    """A PNC id for everyone arrested, made at their first arrest."""
    from youth_safety.identifiers import make_pnc_id

    first = det[det["arrested"]].groupby("person_id")["offence_day"].min()
    serials = rng.choice(9_000_000, size=len(first), replace=False) + 100_000
    years = pd.to_datetime(first.to_numpy(), unit="D").year
    return pd.Series([make_pnc_id(int(y), int(s)) for y, s in zip(years, serials)], index=first.index, dtype=object)


def simulate_justice(rng, people: pd.DataFrame, start: date, end: date, scale: float) -> JusticeRecords:
    first_day, end_day = day(start), day(end)
    warm_up = first_day - int(3 * DAYS_PER_YEAR)
    det = _detections(rng, people, warm_up, end_day)
    vic = _victimisations(rng, people, first_day, end_day)
    in_window = det[det["offence_day"] >= first_day]
    return JusticeRecords(
        detections=det,
        victimisations=vic,
        interventions=_interventions(rng, det),
        nrm=_nrm(rng, det, first_day),
        background_crimes=_background(rng, first_day, end_day, scale, in_window, vic),
        pnc=assign_pnc(rng, det),
    )
