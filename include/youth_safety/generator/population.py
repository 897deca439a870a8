"""Households and the children and young people of the synthetic borough.

Each person carries a latent risk that later stages turn into events. The risk mixes a
household part (shared by siblings: domestic violence, parental offending) with an
individual part, and structural disadvantage shifts it for the strategy's high-risk
cohorts (section 5.4). The shifts are a simulation device to plant the disparities the
warehouse must measure; they are not a claim about any group.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from youth_safety.generator import geography
from youth_safety.generator.timeline import DAYS_PER_YEAR, day

NAMES_PATH = Path(__file__).with_name("names.yml")
MAX_AGE = 25

# DfE ethnicity code: (share of the borough's children, chance of income deprivation).
ETHNICITY = {
    "WBRI": (0.30, 0.18), "WIRI": (0.015, 0.18), "WIRT": (0.003, 0.60), "WOTH": (0.12, 0.15),
    "WROM": (0.004, 0.60), "MWBC": (0.04, 0.45), "MWBA": (0.02, 0.35), "MWAS": (0.02, 0.18),
    "MOTH": (0.05, 0.30), "AIND": (0.01, 0.15), "APKN": (0.008, 0.35), "ABAN": (0.05, 0.45),
    "AOTH": (0.025, 0.30), "BCRB": (0.05, 0.50), "BAFR": (0.11, 0.48), "BOTH": (0.03, 0.42),
    "CHNE": (0.01, 0.12), "OOTH": (0.07, 0.40), "REFU": (0.007, 0.25), "NOBT": (0.008, 0.25),
}
# Heritage groups of names per ethnicity (one is drawn per household).
NAME_GROUPS = {
    "WBRI": ["british"], "WIRI": ["irish"], "WIRT": ["irish", "british"], "WOTH": ["european"],
    "WROM": ["european"], "MWBC": ["caribbean", "british"], "MWBA": ["african", "british"],
    "MWAS": ["south_asian", "british"], "MOTH": ["british", "european", "arab"],
    "AIND": ["south_asian"], "APKN": ["south_asian"], "ABAN": ["south_asian"],
    "AOTH": ["south_asian", "east_asian"], "BCRB": ["caribbean"], "BAFR": ["african"],
    "BOTH": ["caribbean", "african"], "CHNE": ["east_asian"], "OOTH": ["arab", "european"],
    "REFU": ["british", "european"], "NOBT": ["british", "african", "european"],
}
# Shifts of latent risk (boys of the strategy's named cohorts; deprivation; sex).
COHORT_SHIFT_BOYS = {"BCRB": 0.75, "MWBC": 0.5, "BAFR": 0.45}
DEPRIVATION_SHIFT = 0.45
WHITE_BRITISH_DEPRIVED_BOYS_SHIFT = 0.3
MALE_SHIFT = 0.35
TARGET_DEPRIVED_SHARE = 0.28
RESIDENT_SHARE = 0.9
IN_STATE_SCHOOL_LOGIT = 1.6


@dataclass(frozen=True)
class Borough:
    """Everyone simulated, with their addresses over time."""

    people: pd.DataFrame
    addresses: pd.DataFrame  # person_id, from_day, postcode


@cache
def name_pools() -> dict:
    return yaml.safe_load(NAMES_PATH.read_text())


def _household_sizes(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.choice([1, 2, 3, 4, 5], size=n, p=[0.38, 0.35, 0.17, 0.07, 0.03])


def _births(rng: np.random.Generator, first_day: int, last_day: int, scale: float) -> pd.DataFrame:
    """Households and their children's dates of birth (siblings 1-6 years apart, some twins)."""
    cohort_size = 2200 * scale
    years = (last_day - first_day) / DAYS_PER_YEAR
    n_households = int(round(cohort_size * (years + 6) / 2.0))
    sizes = _household_sizes(rng, n_households)
    household = np.repeat(np.arange(n_households), sizes)
    order = np.concatenate([np.arange(s) for s in sizes])
    first_birth = rng.integers(first_day - int(6 * DAYS_PER_YEAR), last_day, size=n_households)
    gaps = np.where(rng.random(len(household)) < 0.03, 0, rng.integers(365, 6 * 365, size=len(household)))
    gaps[order == 0] = 0
    offsets = pd.Series(gaps).groupby(household).cumsum().to_numpy()
    dob = first_birth[household] + offsets
    keep = (dob >= first_day) & (dob <= last_day)
    return pd.DataFrame({"household_id": household[keep], "dob": dob[keep]})


def _household_traits(rng: np.random.Generator, n_households: int) -> pd.DataFrame:
    codes = list(ETHNICITY)
    shares = np.array([ETHNICITY[c][0] for c in codes])
    ethnicity = rng.choice(codes, size=n_households, p=shares / shares.sum())
    p_deprived = np.array([ETHNICITY[c][1] for c in ethnicity])
    p_deprived *= TARGET_DEPRIVED_SHARE / np.average([ETHNICITY[c][1] for c in codes], weights=shares)
    deprived = rng.random(n_households) < p_deprived
    risk = rng.normal(size=n_households) + 0.3 * deprived
    logistic = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731
    name_group = np.array([NAME_GROUPS[c][rng.integers(len(NAME_GROUPS[c]))] for c in ethnicity])
    pools = name_pools()["groups"]
    surname = np.array([pools[g]["surname"][rng.integers(len(pools[g]["surname"]))] for g in name_group])
    return pd.DataFrame(
        {
            "ethnicity": ethnicity,
            "deprived": deprived,
            "household_risk": risk,
            "domestic_violence": rng.random(n_households) < logistic(-2.0 + 1.3 * risk),
            "parental_offending": rng.random(n_households) < logistic(-2.4 + 1.2 * risk),
            "name_group": name_group,
            "surname": surname,
            "resident": rng.random(n_households) < RESIDENT_SHARE,
        }
    )


def _forenames(rng: np.random.Generator, groups: np.ndarray, sex: np.ndarray) -> np.ndarray:
    pools = name_pools()["groups"]
    out = np.empty(len(groups), dtype=object)
    for group in np.unique(groups):
        for s, key in (("M", "male"), ("F", "female")):
            mask = (groups == group) & (sex == s)
            pool = np.array(pools[group][key], dtype=object)
            out[mask] = pool[rng.integers(len(pool), size=mask.sum())]
    return out


def _addresses(rng: np.random.Generator, people: pd.DataFrame) -> pd.DataFrame:
    """Address history: a first postcode per household, then moves (more for high risk)."""
    postcodes, _, _ = geography.borough_postcodes()
    n_households = people["household_id"].max() + 1
    home = postcodes[rng.integers(len(postcodes), size=n_households)]
    outside = geography.outside_postcodes(rng, n_households)
    first = np.where(people["resident"], home[people["household_id"]], outside[people["household_id"]])
    moves = rng.poisson(0.6 * np.exp(0.6 * people["risk"].clip(-2, 3)))
    moves = np.where(people["resident"], moves, 0)
    person = np.repeat(people["person_id"].to_numpy(), moves)
    lo = np.repeat(people["arrive"].to_numpy(), moves)
    hi = np.repeat(people["leave"].to_numpy(), moves)
    move_day = lo + (rng.random(len(person)) * (hi - lo)).astype(int)
    return pd.concat(
        [
            pd.DataFrame({"person_id": people["person_id"], "from_day": people["arrive"], "postcode": first}),
            pd.DataFrame({"person_id": person, "from_day": move_day, "postcode": postcodes[rng.integers(len(postcodes), size=len(person))]}),
        ],
        ignore_index=True,
    ).sort_values(["person_id", "from_day"], kind="stable", ignore_index=True)


def simulate_borough(rng: np.random.Generator, start: date, end: date, scale: float) -> Borough:
    """Everyone aged 0-25 at some point between ``start`` and ``end``."""
    first_day = day(date(start.year - MAX_AGE - 1, start.month, start.day))
    last_day = day(end)
    births = _births(rng, first_day, last_day, scale)
    traits = _household_traits(rng, int(births["household_id"].max()) + 1)
    people = births.join(traits, on="household_id").sort_values(["dob", "household_id"], kind="stable", ignore_index=True)
    n = len(people)
    people.insert(0, "person_id", np.arange(1, n + 1))
    people["sex"] = np.where(rng.random(n) < 0.51, "M", "F")
    people["forename"] = _forenames(rng, people["name_group"].to_numpy(), people["sex"].to_numpy())
    male = people["sex"].eq("M").to_numpy()
    shift = (
        MALE_SHIFT * male
        + DEPRIVATION_SHIFT * people["deprived"].to_numpy()
        + male * people["ethnicity"].map(COHORT_SHIFT_BOYS).fillna(0).to_numpy()
        + WHITE_BRITISH_DEPRIVED_BOYS_SHIFT * (male & people["deprived"].to_numpy() & people["ethnicity"].eq("WBRI").to_numpy())
    )
    people["risk"] = 0.6 * people["household_risk"].to_numpy() + 0.8 * rng.normal(size=n) + shift - 0.45
    # Families at lower risk and better off are likelier to use independent schools.
    p_state = 1 / (1 + np.exp(-(IN_STATE_SCHOOL_LOGIT + 0.6 * people["risk"].to_numpy() + 0.8 * people["deprived"].to_numpy())))
    people["in_state_school"] = rng.random(n) < p_state
    # Arrival in and departure from the borough (most are born here and stay).
    age_at_arrival = np.where(rng.random(n) < 0.2, rng.integers(0, 16 * 365, size=n), 0)
    people["arrive"] = people["dob"].to_numpy() + age_at_arrival
    leaves = rng.random(n) < 0.15
    people["leave"] = np.where(
        leaves,
        people["arrive"].to_numpy() + rng.integers(365, 20 * 365, size=n),
        people["dob"].to_numpy() + int(26 * DAYS_PER_YEAR),
    )
    people["nhs_number"] = _nhs_numbers(rng, n)
    return Borough(people=people, addresses=_addresses(rng, people))


def _nhs_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    """Distinct valid NHS numbers (modulus 11) from the 9xx test range."""
    base = np.unique(rng.integers(900_000_000, 999_999_999, size=int(n * 1.3), dtype=np.int64))
    base = base[rng.permutation(len(base))]
    digits = np.array([list(map(int, f"{b:09d}")) for b in base])
    remainder = (digits * np.arange(10, 1, -1)).sum(axis=1) % 11
    check = (11 - remainder) % 11
    valid = check != 10
    numbers = base[valid][:n] * 10 + check[valid][:n]
    return np.array([f"{x:010d}" for x in numbers], dtype=object)
