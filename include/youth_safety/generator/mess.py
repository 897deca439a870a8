"""Real-world mess, planted at documented, configurable rates, and logged as ground truth.

Identity mess is drawn once per agency person record (an agency's record of a person
carries the same typo in every row and every night); row mess is drawn per file.

| kind                | unit                         | default | what happens                                         |
|---------------------|------------------------------|---------|------------------------------------------------------|
| name_typo           | agency person record         | 0.03    | one character of forename or surname substituted, dropped, doubled or transposed |
| nickname            | record whose name has one    | 0.25    | forename recorded as a short form (Will, Mo, Liv ...) |
| dob_swap            | record with day <= 12 != month | 0.02  | day and month of birth swapped                        |
| missing_upn         | record that would carry one  | 0.08    | UPN left blank                                        |
| missing_nhs_number  | record that would carry one  | 0.05    | NHS number left blank                                 |
| duplicate_row       | row of a delta file          | 0.002   | the row is sent twice                                 |
| invalid_code        | row with a coded value       | 0.001   | one coded value replaced by a code outside its list   |
| late_file           | source and delivery night    | 0.03    | the night's files arrive with the next night's        |
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from youth_safety.generator.population import name_pools
from youth_safety.generator.timeline import iso

INVALID_CODE = "ZZ9"
LETTERS = np.array(list("abcdefghijklmnopqrstuvwxyz"))


@dataclass(frozen=True)
class MessRates:
    name_typo: float = 0.03
    nickname: float = 0.25
    dob_swap: float = 0.02
    missing_upn: float = 0.08
    missing_nhs_number: float = 0.05
    duplicate_row: float = 0.002
    invalid_code: float = 0.001
    late_file: float = 0.03

    @classmethod
    def none(cls) -> "MessRates":
        return cls(**{f.name: 0.0 for f in fields(cls)})

    @classmethod
    def parse(cls, overrides: list[str]) -> "MessRates":
        """Defaults with ``kind=rate`` overrides, as given on the command line."""
        known = {f.name for f in fields(cls)}
        values = {}
        for item in overrides:
            kind, _, rate = item.partition("=")
            if kind not in known:
                raise ValueError(f"unknown mess kind {kind!r}; known: {', '.join(sorted(known))}")
            try:
                values[kind] = float(rate)
            except ValueError:
                raise ValueError(f"mess rate for {kind} must be a number, got {rate!r}") from None
            if not 0 <= values[kind] <= 1:
                raise ValueError(f"mess rate for {kind} must be between 0 and 1, got {rate}")
        return cls(**values)


class MessLog:
    """Every planted piece of mess: where, what kind, which column."""

    def __init__(self) -> None:
        self.rows: list[pd.DataFrame] = []

    def add(self, source: str, extract: str, record: np.ndarray | pd.Series, kind: str, column: str, file: str = "", row: np.ndarray | None = None) -> None:
        record = np.asarray(record, dtype=object)
        if len(record) == 0:
            return
        self.rows.append(pd.DataFrame({
            "source": source, "extract": extract, "file": file,
            "row_number": row if row is not None else np.full(len(record), -1),
            "record": record, "kind": kind, "column": column,
        }))

    def frame(self) -> pd.DataFrame:
        columns = ["source", "extract", "file", "row_number", "record", "kind", "column"]
        return pd.concat(self.rows, ignore_index=True) if self.rows else pd.DataFrame(columns=columns)


def typo(rng: np.random.Generator, names: np.ndarray) -> np.ndarray:
    """One keyboard slip per name: a letter substituted, dropped, doubled or transposed."""
    out = names.copy()
    ops = rng.integers(4, size=len(names))
    for i, (name, op) in enumerate(zip(names, ops)):
        k = int(rng.integers(1, max(len(name) - 1, 2)))
        slips = (
            name[:k] + str(LETTERS[(LETTERS != name[k:k + 1].lower()).nonzero()[0][rng.integers(25)]]) + name[k + 1:],
            name[:k] + name[k + 1:],
            name[:k] + name[k:k + 1] + name[k:],
            name[:k - 1] + name[k:k + 1] + name[k - 1] + name[k + 1:],
        )
        out[i] = next(s for s in (slips[op], *slips) if s != name)
    return out


def identity_mess(rng: np.random.Generator, ident: pd.DataFrame, rates: MessRates, log: MessLog, source: str, entity: str) -> pd.DataFrame:
    """Apply name and date-of-birth mess to an agency's person records.

    ``ident`` has record_id, forename, surname, dob (day numbers) and optionally upn and
    nhs_number; returns the same with dob as ISO text and the mess applied.
    """
    out = ident.copy()
    n = len(out)
    nick = name_pools()["nicknames"]
    has_nick = out["forename"].isin(list(nick)).to_numpy()
    hit = has_nick & (rng.random(n) < rates.nickname)
    out.loc[hit, "forename"] = [nick[f][rng.integers(len(nick[f]))] for f in out.loc[hit, "forename"]]
    log.add(source, entity, out.loc[hit, "record_id"], "nickname", "forename")
    for column in ("forename", "surname"):
        hit = rng.random(n) < rates.name_typo / 2
        out.loc[hit, column] = typo(rng, out.loc[hit, column].to_numpy())
        log.add(source, entity, out.loc[hit, "record_id"], "name_typo", column)
    dates = pd.to_datetime(out["dob"].to_numpy(), unit="D")
    dob = iso(out["dob"].to_numpy())
    swappable = (dates.day <= 12) & (dates.day != dates.month)
    hit = swappable & (rng.random(n) < rates.dob_swap)
    dob[hit] = [f"{d.year:04d}-{d.day:02d}-{d.month:02d}" for d in dates[hit]]
    out["dob"] = dob
    log.add(source, entity, out.loc[hit, "record_id"], "dob_swap", "dob")
    for column, rate in (("upn", rates.missing_upn), ("nhs_number", rates.missing_nhs_number)):
        if column in out:
            present = out[column].ne("").to_numpy()
            hit = present & (rng.random(n) < rate)
            out.loc[hit, column] = ""
            log.add(source, entity, out.loc[hit, "record_id"], f"missing_{column}", column)
    return out


def row_mess(rng: np.random.Generator, rows: pd.DataFrame, coded: list[str], duplicates: bool, rates: MessRates) -> tuple[pd.DataFrame, list[tuple[int, str, str]]]:
    """Invalid codes and duplicated rows in one file; returns rows and (row index, kind, column)."""
    planted: list[tuple[int, str, str]] = []
    rows = rows.reset_index(drop=True)
    if coded and len(rows):
        hit = np.flatnonzero(rng.random(len(rows)) < rates.invalid_code)
        for i in hit:
            candidates = [c for c in coded if rows.at[i, c] != ""]
            if candidates:
                column = candidates[rng.integers(len(candidates))]
                rows.at[i, column] = INVALID_CODE
                planted.append((int(i), "invalid_code", column))
    if duplicates and len(rows):
        dup = np.flatnonzero(rng.random(len(rows)) < rates.duplicate_row)
        dup = np.setdiff1d(dup, [i for i, _, _ in planted])  # a duplicated bad code would count twice
        if len(dup):
            order = np.concatenate([np.arange(len(rows)), dup])
            order.sort(kind="stable")
            rows = rows.iloc[order].reset_index(drop=True)
            first_copy = np.flatnonzero(np.r_[False, np.diff(order) == 0])
            planted = [(int(np.searchsorted(order, i)), k, c) for i, k, c in planted]
            planted += [(int(i), "duplicate_row", "") for i in first_copy]
    return rows, planted
