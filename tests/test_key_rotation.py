"""Key rotation: every token re-made under the new key, joins intact, person keys unchanged."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from youth_safety.contracts import get_contract
from youth_safety.ingest import load_source
from youth_safety.privacy.keys import SecretKeyError, key_id, key_path, load_key, new_key
from youth_safety.privacy.rotation import rotate_key
from youth_safety.privacy.tokens import TOKEN_PATTERN, tokenise
from youth_safety.privacy.vault import connect_vault
from youth_safety.warehouse import connect

PUPILS = get_contract("education", "pupils")
ATTAINMENT = get_contract("education", "attainment")
D1, D2 = date(2024, 3, 1), date(2024, 3, 2)
PUPIL_IDS = ["pupil_id-0", "pupil_id-1", "pupil_id-2"]


def _tokens_everywhere(path) -> set[str]:
    """Every token-shaped value in every text column of every base table of a DuckDB file."""
    found: set[str] = set()
    with duckdb.connect(str(path), read_only=True) as con:
        columns = con.execute("""select table_schema, table_name, column_name from information_schema.columns c
                                 join information_schema.tables t using (table_catalog, table_schema, table_name)
                                 where t.table_type = 'BASE TABLE' and data_type = 'VARCHAR'""").fetchall()
        for schema, table, column in columns:
            found |= {r[0] for r in con.execute(f'select "{column}" from "{schema}"."{table}" where regexp_full_match("{column}", ?)',
                                                 [TOKEN_PATTERN]).fetchall()}
    return found


@pytest.fixture
def loaded(settings, land):
    land(PUPILS, D1, D1, 3)
    land(ATTAINMENT, D1, D1, 3)
    load_source(settings, "education", D1)
    with connect_vault(settings) as vault:  # person keys as linkage assigns them: not derived from any token
        vault.execute("""create table person_keys as select source, entity, record_key,
                         'PK' || lpad(cast(row_number() over (order by record_key) as varchar), 7, '0') as person_key
                         from person_records""")
    review = settings.vault_path.parent / "review" / "queue.csv"
    review.parent.mkdir()
    old = tokenise(load_key(settings), "pupil_id", PUPIL_IDS[:1], kind="agency_id")[0]
    review.write_text(f"pair_id,record_key_l,decision\n1,{old},\n")
    return settings


def test_rotation_remakes_every_token_and_keeps_person_keys(loaded):
    settings = loaded
    old_key, key = load_key(settings), new_key()
    old_tokens = _tokens_everywhere(settings.warehouse_path) | _tokens_everywhere(settings.vault_path)
    with connect_vault(settings, read_only=True) as vault:
        people_before = vault.execute("select person_key from person_keys order by person_key").fetchall()

    rotation = rotate_key(settings, key)

    assert (rotation.old_key_id, rotation.new_key_id) == (key_id(old_key), key_id(key))
    assert key_id(load_key(settings)) == key_id(key)
    new_tokens = tokenise(key, "pupil_id", PUPIL_IDS, kind="agency_id")
    with connect(settings.warehouse_path, read_only=True) as con:
        assert sorted(r[0] for r in con.execute("select pupil_id from raw_education.pupils").fetchall()) == sorted(new_tokens)
        joined = con.execute("select count(*) from raw_education.attainment a join raw_education.pupils p using (pupil_id)").fetchall()
        assert joined == [(3,)]
    remaining = _tokens_everywhere(settings.warehouse_path) | _tokens_everywhere(settings.vault_path)
    assert remaining and not remaining & old_tokens
    with connect_vault(settings, read_only=True) as vault:
        assert vault.execute("select person_key from person_keys order by person_key").fetchall() == people_before
        assert set(r[0] for r in vault.execute("select record_key from person_keys").fetchall()) == set(new_tokens)
        assert vault.execute("select count(*) from vault_keys where retired_at is null").fetchall() == [(1,)]
    assert new_tokens[0] in (settings.vault_path.parent / "review" / "queue.csv").read_text()
    assert not list(settings.home.rglob("*.rotating"))


def test_after_rotation_the_next_night_joins_and_the_old_key_is_refused(loaded, land):
    settings = loaded
    old_key = load_key(settings)
    rotate_key(settings, new_key())
    land(PUPILS, D2, D2, 3)  # tonight's snapshot: the same three pupils
    load_source(settings, "education", D2)
    with connect(settings.warehouse_path, read_only=True) as con:
        assert con.execute("select count(*), count(distinct pupil_id) from raw_education.pupils").fetchall() == [(6, 3)]
    key_path(settings).write_text(old_key.hex())
    with pytest.raises(SecretKeyError, match="tokens were made under key"):
        load_source(settings, "education", D2)


def test_a_refused_rotation_changes_nothing(loaded):
    settings = loaded
    before = (settings.warehouse_path.read_bytes(), key_path(settings).read_text())
    with pytest.raises(ValueError, match="key in use"):
        rotate_key(settings, load_key(settings))
    assert (settings.warehouse_path.read_bytes(), key_path(settings).read_text()) == before
    assert not list(settings.home.rglob("*.rotating"))


def test_rotate_key_command_reports_ids_never_keys(loaded, cli, monkeypatch):
    settings = loaded
    monkeypatch.setenv("YOUTH_SAFETY_HOME", str(settings.home))
    old = load_key(settings)
    done = cli("rotate-key")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"Rotated key {key_id(old)} -> {key_id(load_key(settings))}" in done.stdout
    assert old.hex() not in done.stdout and load_key(settings).hex() not in done.stdout
