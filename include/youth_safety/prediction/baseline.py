"""The transparent rule baseline: a count of the Spark review's profile flags (strategy 5.3).

The Spark review (2018) profiled the borough's 25 most prolific young people who offend. Each
flag below is one point; the score is the number of flags a child has on the snapshot date.
A model earns its place only by beating this count out of time.

| flag                    | rule (point-in-time feature)                                   | Spark profile item                             |
|-------------------------|----------------------------------------------------------------|------------------------------------------------|
| dv_factor               | has_dv_factor                                                  | DV concerns recorded in a CSC assessment (3/4) |
| gangs_or_exploitation   | has_gangs_factor or has_cce_factor or has_cse_factor           | gangs / exploitation factors                   |
| early_csc               | age_first_known_to_csc <= 5                                    | first known to CSC around the age of three     |
| several_primary_schools | primary_schools_attended > 1                                   | more than one primary school                   |
| several_secondary       | secondary_schools_attended > 2                                 | more than three secondary schools (we use >2)  |
| persistent_absence      | is_persistently_absent_latest_term                             | absence                                        |
| recent_suspension       | suspensions_last_12m > 0                                       | exclusion history                              |
| recent_missing          | missing_episodes_last_12m > 0                                  | 10+ missing episodes                           |
| looked_after            | has_been_looked_after                                          | looked after                                   |
| arrested                | arrests_ever > 0                                               | first arrested aged 12, 4+ arrests             |
| police_suspect          | police_suspect_contacts_ever > 0                               | offending before conviction                    |

For calibration metrics (Brier, reliability) the count is mapped to the observed outcome rate
of that count in the training period; ranking metrics use the count itself.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

RULES: dict[str, tuple[str, object]] = {
    "dv_factor": ("domestic violence factor in a social-care assessment", lambda f: f["has_dv_factor"].astype(bool)),
    "gangs_or_exploitation": (
        "gangs, criminal or sexual exploitation factor in a social-care assessment",
        lambda f: f["has_gangs_factor"].astype(bool) | f["has_cce_factor"].astype(bool) | f["has_cse_factor"].astype(bool),
    ),
    "early_csc": ("first known to children's social care at 5 or younger", lambda f: f["age_first_known_to_csc"].le(5).fillna(False).astype(bool)),
    "several_primary_schools": ("more than one primary school", lambda f: f["primary_schools_attended"].gt(1)),
    "several_secondary_schools": ("more than two secondary schools", lambda f: f["secondary_schools_attended"].gt(2)),
    "persistent_absence": ("persistently absent in the latest term", lambda f: f["is_persistently_absent_latest_term"].astype(bool)),
    "recent_suspension": ("a suspension in the last 12 months", lambda f: f["suspensions_last_12m"].gt(0)),
    "recent_missing": ("a missing episode in the last 12 months", lambda f: f["missing_episodes_last_12m"].gt(0)),
    "looked_after": ("has been looked after", lambda f: f["has_been_looked_after"].astype(bool)),
    "arrested": ("has been arrested", lambda f: f["arrests_ever"].gt(0)),
    "police_suspect": ("police contact as a suspect", lambda f: f["police_suspect_contacts_ever"].gt(0)),
}


def rule_flags(frame: pd.DataFrame) -> pd.DataFrame:
    """One boolean column per rule."""
    return pd.DataFrame({name: np.asarray(rule(frame), dtype=bool) for name, (_, rule) in RULES.items()}, index=frame.index)


def rule_score(frame: pd.DataFrame) -> np.ndarray:
    """The number of flags each row has (0 to len(RULES))."""
    return rule_flags(frame).sum(axis=1).to_numpy(dtype=float)


class RuleBaseline:
    """The rule count, with the training period's observed rate per count for calibration metrics."""

    def __init__(self) -> None:
        self.rate_by_score: dict[int, float] = {}
        self.overall_rate: float = 0.0

    def fit(self, frame: pd.DataFrame, label: pd.Series) -> "RuleBaseline":
        scores = rule_score(frame).astype(int)
        y = np.asarray(label, dtype=float)
        self.overall_rate = float(y.mean()) if len(y) else 0.0
        table = pd.DataFrame({"s": scores, "y": y}).groupby("s")["y"].mean()
        self.rate_by_score = {int(k): float(v) for k, v in table.items()}
        return self

    def score(self, frame: pd.DataFrame) -> np.ndarray:
        return rule_score(frame)

    def probability(self, frame: pd.DataFrame) -> np.ndarray:
        scores = rule_score(frame).astype(int)
        return np.array([self.rate_by_score.get(int(s), self.overall_rate) for s in scores], dtype=float)

    def describe(self) -> dict:
        return {
            "rules": {name: text for name, (text, _) in RULES.items()},
            "training_rate_by_score": {str(k): v for k, v in sorted(self.rate_by_score.items())},
        }
