"""Small vaults for linkage tests: a seeded background population plus hand-made people.

The background gives the model something to learn from (about 350 people in education,
health, police and social care, with nicknames, one-letter slips and shared identifiers);
the hand-made people are the cases tests look at. Record keys of pupils and social-care
people look like the warehouse's tokens (``pupil_id:<hex>``); police and health keep plain ids.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

TOKEN_ENTITIES = ("pupil_id", "tracking_id", "pers_person_id", "yot_id")
ENTITY_OF = {"education": "pupil_id", "social_care": "pers_person_id", "health": "referral_id", "police": "involvement_id"}
FORENAMES = {
    "F": ["Amara", "Beatrix", "Chiamaka", "Delphine", "Esmeralda", "Fenella", "Georgiana", "Hermione", "Imogen",
          "Juniper", "Kassandra", "Leonora", "Marguerite", "Nkechi", "Ottilie", "Philippa", "Rosalind", "Saoirse"],
    "M": ["Alasdair", "Barnaby", "Cassius", "Desmond", "Emeka", "Fergus", "Gideon", "Horatio", "Ignatius",
          "Jerome", "Kwabena", "Lysander", "Montgomery", "Nathaniel", "Obadiah", "Peregrine", "Rupert", "Thaddeus"],
}
SHORT_FORMS = {"Nathaniel": "Nate", "Montgomery": "Monty", "Philippa": "Pippa", "Thaddeus": "Thad", "Kassandra": "Kass",
               "Rosalind": "Ros", "Alasdair": "Al"}
SURNAMES = ["Abernethy", "Blackwood", "Carmichael", "Drummond", "Eriksson", "Fairweather", "Galbraith", "Hollingsworth",
            "Ingleby", "Jablonski", "Kowalczyk", "Lindqvist", "Montgomerie", "Nwachukwu", "Oyelaran", "Pemberton",
            "Quartermaine", "Rutherford", "Stanislawski", "Thistlewood", "Underhill", "Vasquez", "Whitcombe", "Yeboah"]
OUTWARD = ["N1", "N4", "N5", "N7", "N19", "EC1V", "EC1R"]


def token(entity: str, plain: str) -> str:
    """A stand-in for the warehouse's keyed token of an agency id."""
    return f"{entity}:{hashlib.sha256(f'test-key/{entity}/{plain}'.encode()).hexdigest()[:32]}"


def record_key_of(entity: str, record_ids: pd.Series) -> pd.Series:
    """What evaluation is given: plain agency ids to the record keys the vault holds."""
    if entity in TOKEN_ENTITIES:
        return record_ids.map(lambda plain: token(entity, plain))
    return record_ids


@dataclass(frozen=True)
class Record:
    """One agency record of a person, with the person it truly belongs to."""

    person: str
    source: str
    plain_id: str
    forename: str | None
    surname: str | None
    dob: date | None
    sex: str
    postcode: str | None
    upn: str | None = None
    nhs_number: str | None = None
    pnc_id: str | None = None

    @property
    def entity(self) -> str:
        return ENTITY_OF[self.source]

    @property
    def record_key(self) -> str:
        return token(self.entity, self.plain_id) if self.entity in TOKEN_ENTITIES else self.plain_id


def _slip(rng: np.random.Generator, name: str) -> str:
    k = int(rng.integers(1, len(name) - 1))
    return name[:k] + name[k + 1:]


def background(seed: int = 7, people: int = 350) -> list[Record]:
    """A seeded population whose records the model can learn m and u from."""
    rng = np.random.default_rng(seed)
    records: list[Record] = []
    for i in range(people):
        sex = "F" if rng.random() < 0.5 else "M"
        forename = str(rng.choice(FORENAMES[sex]))
        surname = str(rng.choice(SURNAMES))
        dob = date(2004, 1, 1) + timedelta(days=int(rng.integers(0, 365 * 14)))
        home = f"{rng.choice(OUTWARD)} {rng.integers(1, 10)}{chr(65 + rng.integers(26))}{chr(65 + rng.integers(26))}"
        upn, nhs, pnc = f"B{i:06d}U", f"9{i:09d}", f"20/{i:07d}X"
        person = f"bg{i}"
        sources = ["education"] + [s for s, p in (("health", 0.5), ("police", 0.45), ("social_care", 0.35)) if rng.random() < p]
        for j, source in enumerate(sources):
            name = SHORT_FORMS.get(forename, forename) if rng.random() < 0.15 else forename
            last = _slip(rng, surname) if rng.random() < 0.05 else surname
            postcode = home if rng.random() < 0.8 else f"{rng.choice(OUTWARD)} {rng.integers(1, 10)}ZZ"
            ids = {"education": {"upn": upn if rng.random() > 0.08 else None},
                   "health": {"nhs_number": nhs if rng.random() > 0.05 else None},
                   "police": {"pnc_id": pnc if rng.random() < 0.5 else None},
                   "social_care": {"upn": upn if rng.random() > 0.08 else None,
                                   "nhs_number": nhs if rng.random() > 0.05 else None}}[source]
            records.append(Record(person, source, f"{source[:2].upper()}{i:05d}{j}", name, last, dob, sex, postcode, **ids))
    return records


def create_vault(path: Path) -> duckdb.DuckDBPyConnection:
    """An empty vault with the two input tables linkage reads."""
    con = duckdb.connect(str(path))
    con.execute("""create table person_records (source varchar, entity varchar, record_key varchar, forename varchar,
        surname varchar, dob date, sex varchar, postcode varchar, first_seen_night date, last_seen_night date,
        primary key (source, entity, record_key))""")
    con.execute("""create table record_identifiers (source varchar, entity varchar, record_key varchar, role varchar,
        value varchar, primary key (source, entity, record_key, role, value))""")
    return con


def add(con: duckdb.DuckDBPyConnection, records: list[Record], night: date) -> None:
    """Deliver records on a night (a record seen before takes the identity it now has)."""
    frame = pd.DataFrame([{"source": r.source, "entity": r.entity, "record_key": r.record_key, "forename": r.forename,
                           "surname": r.surname, "dob": r.dob, "sex": r.sex, "postcode": r.postcode} for r in records])
    con.register("delivered", frame)
    con.execute("""insert into person_records select *, $night, $night from delivered
        on conflict do update set forename = excluded.forename, surname = excluded.surname, dob = excluded.dob,
            sex = excluded.sex, postcode = excluded.postcode, last_seen_night = excluded.last_seen_night""", {"night": night})
    con.unregister("delivered")
    ids = pd.DataFrame([{"source": r.source, "entity": r.entity, "record_key": r.record_key, "role": role, "value": value}
                        for r in records for role, value in (("upn", r.upn), ("nhs_number", r.nhs_number), ("pnc_id", r.pnc_id))
                        if value], columns=["source", "entity", "record_key", "role", "value"])
    con.register("delivered_ids", ids)
    con.execute("insert into record_identifiers select * from delivered_ids on conflict do nothing")
    con.unregister("delivered_ids")


def truth(records: list[Record], path: Path) -> Path:
    """The ground truth parquet evaluation reads (plain agency ids)."""
    pd.DataFrame([{"source": r.source, "entity": r.entity, "record_id": r.plain_id, "person_id": r.person}
                  for r in records]).to_parquet(path)
    return path
