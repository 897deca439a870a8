"""A small loaded borough for the re-identification, erasure and retention tests.

``borough`` generates it once per session (scale 0.02, no planted mess, 2021-01-01 to
``END``, delivered on two nights) and loads both nights for every source; each test works
on its own copy (``copy_home``). ``give_person_keys`` is the one place person keys are
made: from the generator's ground truth, as a perfect linkage would give them (switch it
to ``youth_safety.linkage`` once that writes ``person_keys``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from youth_safety.config import SOURCES, Settings
from youth_safety.generator import MessRates, generate
from youth_safety.ingest import load_source
from youth_safety.privacy.keys import ensure_development_key, key_path, load_key
from youth_safety.privacy.tokens import tokenise
from youth_safety.privacy.vault import connect_vault
from youth_safety.warehouse import connect, ensure_schema

END = date(2024, 6, 30)
GO_LIVE = date(2024, 6, 29)
NIGHTS = (GO_LIVE, END)
TOKEN_ENTITIES = ("pupil_id", "tracking_id", "pers_person_id", "yot_id")
CLI = Path(sys.executable).parent / "youth-safety"
OPERATOR = "dpo.test@islington.example"
_BOROUGH: list[Settings] = []


def borough(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The session's loaded borough (made on first use); never change it, copy it."""
    if not _BOROUGH:
        settings = Settings(tmp_path_factory.mktemp("privacy-borough"))
        ensure_development_key(settings)
        generate(settings, scale=0.02, seed=5, start=date(2021, 1, 1), end=END, nightly_days=2, rates=MessRates.none())
        for night in NIGHTS:
            for source in SOURCES:
                load_source(settings, source, night)
        _BOROUGH.append(settings)
    return _BOROUGH[0]


def copy_home(base: Settings, home: Path) -> Settings:
    """A private copy of a data home: landing, truth, governance, warehouse, vault and key."""
    settings = Settings(home)
    for folder in (base.landing_dir, base.truth_dir, base.opt_out_path.parent, base.warehouse_path.parent,
                   base.vault_path.parent, key_path(base).parent):
        shutil.copytree(folder, home / folder.relative_to(base.home))  # modes kept: vault and secrets stay private
    return settings


def person_key(person_id: int) -> str:
    return f"PK{person_id:07d}"


def give_person_keys(settings: Settings) -> pd.DataFrame:
    """Person keys from the ground truth, as a perfect linkage would make them: ``person_keys`` and
    ``person_key_history`` (a 'created' event per key) in the vault, and the same published to the
    warehouse's ``linkage`` tables. Returns the keys."""
    truth = pd.read_parquet(settings.truth_dir / "source_records.parquet")
    key = load_key(settings)
    parts = []
    for entity, group in truth.groupby("entity"):
        held = tokenise(key, entity, group["record_id"], "agency_id") if entity in TOKEN_ENTITIES else group["record_id"]
        parts.append(pd.DataFrame({"entity": entity, "record_key": held, "person_key": group["person_id"].map(person_key).to_numpy()}))
    with connect_vault(settings) as vault:
        vault.register("truth_keys", pd.concat(parts, ignore_index=True))
        vault.execute("""create or replace table person_keys as select p.source, p.entity, p.record_key, t.person_key
                         from person_records p join truth_keys t using (entity, record_key)""")
        vault.execute("""create or replace table person_key_history as
                         select date '2024-06-29' as night, 'created' as event, person_key, null::varchar as related_key
                         from person_keys group by person_key""")
        keys = vault.execute("select * from person_keys").df()
    with connect(settings.warehouse_path) as con:
        ensure_schema(con)
        con.register("keys", keys)
        con.execute("insert into linkage.person_keys select source, entity, record_key, person_key from keys")
        con.execute("""insert into linkage.person_key_history
                       select date '2024-06-29', 'created', person_key, null, count(*), 0 from keys group by person_key""")
    return keys


def run_cli(settings: Settings, *args: str) -> subprocess.CompletedProcess:
    """The youth-safety CLI on this data home, run by a named operator."""
    env = {**os.environ, "YOUTH_SAFETY_HOME": str(settings.home), "YOUTH_SAFETY_OPERATOR": OPERATOR}
    return subprocess.run([str(CLI), *args], capture_output=True, text=True, stdin=subprocess.DEVNULL, env=env)
