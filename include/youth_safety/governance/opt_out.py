"""The opt-out register: people whose objection (UK GDPR Art. 21) has been upheld.

Kept as a CSV under the data home, outside the warehouse: nhs_number, upn, surname, dob
(any may be blank). A row of an extract matches when it carries the same NHS number or
UPN, or the same surname (case and spacing ignored) and date of birth.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from youth_safety.contracts import Contract

COLUMNS = ("nhs_number", "upn", "surname", "dob")


def _name_key(surname: pd.Series, dob: pd.Series) -> pd.Series:
    return surname.fillna("").str.upper().str.replace(r"[^A-Z]", "", regex=True) + "|" + dob.fillna("")


@dataclass(frozen=True)
class OptOutRegister:
    nhs_numbers: frozenset[str]
    upns: frozenset[str]
    name_dob: frozenset[str]

    @classmethod
    def load(cls, path: Path) -> "OptOutRegister":
        if not path.exists():
            return cls(frozenset(), frozenset(), frozenset())
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        if missing := set(COLUMNS) - set(frame.columns):
            raise ValueError(f"{path}: opt-out register lacks column(s) {sorted(missing)}")
        named = frame[frame["surname"].ne("") & frame["dob"].ne("")]
        return cls(
            nhs_numbers=frozenset(frame["nhs_number"]) - {""},
            upns=frozenset(frame["upn"]) - {""},
            name_dob=frozenset(_name_key(named["surname"], named["dob"])),
        )

    def __len__(self) -> int:
        return len(self.nhs_numbers | self.upns | self.name_dob)

    def matches(self, contract: Contract, frame: pd.DataFrame) -> np.ndarray:
        """Which rows of an extract belong to someone on the register."""
        hit = np.zeros(len(frame), dtype=bool)
        roles = {f.identifies: f.name for f in contract.fields if f.identifies}
        for role, values in (("nhs_number", self.nhs_numbers), ("upn", self.upns)):
            for f in contract.fields:
                if f.identifies == role:
                    hit |= frame[f.name].isin(values).to_numpy()
        if "surname" in roles and "dob" in roles:
            hit |= _name_key(frame[roles["surname"]], frame[roles["dob"]]).isin(self.name_dob).to_numpy()
        return hit
