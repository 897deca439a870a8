"""Social, emotional and mental health referrals (CAMHS and school mental health teams)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from youth_safety.generator.social_care import draw_events, person_years
from youth_safety.generator.timeline import day

SERVICES = ["CAMHS", "MHST", "EHMH"]
SERVICE_P = [0.5, 0.32, 0.18]


def simulate_semh(rng, people: pd.DataFrame, start: date, end: date) -> pd.DataFrame:
    """Referrals of residents aged 4-17, with the wait to a first appointment (or none)."""
    py = person_years(people, day(start), day(end), 4, 17)
    r = py["risk"].clip(-3, 4).to_numpy()
    teen = (py["age"] >= 12).to_numpy()
    ref = draw_events(rng, py, np.where(teen, 0.03, 0.015) * np.exp(0.5 * r))
    ref["service"] = rng.choice(SERVICES, size=len(ref), p=SERVICE_P)
    wait = np.exp(rng.normal(np.log(26), 0.65, len(ref))).astype(int) + 1
    attended = rng.random(len(ref)) < 0.88
    ref["first_appointment_day"] = np.where(attended, ref["event_day"] + wait, -1)
    return ref.rename(columns={"event_day": "referral_day"})
