"""The dbt project: sources follow the contracts, and a real build stages the raw layer."""

from __future__ import annotations

import json
from datetime import date, datetime

import pandas as pd
import pytest

from youth_safety.config import Settings
from youth_safety.contracts import all_contracts, get_contract
from youth_safety.dbt_runner import DbtBuildError, build
from youth_safety.dbt_sources import stale_sources
from youth_safety.privacy.layout import warehouse_columns
from youth_safety.privacy.pseudonymise import pseudonymise
from youth_safety.privacy.tokens import tokenise
from youth_safety.warehouse import LOAD_METADATA_COLUMNS, connect, ensure_schema, raw_table

KEY = b"dbt-project-test-key-of-32-bytes"

FIRST_LOAD = ("load-1", datetime(2025, 1, 6, 2, 0), "2025-01-06")
SECOND_LOAD = ("load-2", datetime(2025, 1, 7, 2, 0), "2025-01-07")

PUPIL_1 = {
    "pupil_id": "P1", "upn": "A123456789012", "surname": "Okafor", "forename": "Ada", "dob": "2012-03-04",
    "sex": "F", "ethnicity": "BAFR", "sen_provision": "K", "school_urn": "100450", "year_group": "7",
    "entry_date": "2023-09-04", "fsm_start_date": "2023-09-04",
}
PUPIL_2 = {**PUPIL_1, "pupil_id": "P2", "upn": None, "sex": "M", "forename": "Ben", "ethnicity": None}
PUPIL_3 = {**PUPIL_1, "pupil_id": "P3", "sex": "X", "forename": "Cy"}

EPISODE_1 = {"cine_referral_id": "R1", "cine_person_id": "S1", "cine_referral_date": "2024-11-01",
             "cine_referral_source_code": "1A", "cine_cin_primary_need_code": "N1"}
EPISODE_2 = {**EPISODE_1, "cine_referral_id": "R2", "cine_person_id": "S2"}
EPISODE_3 = {**EPISODE_1, "cine_referral_id": "R3", "cine_person_id": "S3"}

CRIME = {"crime_ref": "C1", "offence_code": "001/00", "committed_date": "2024-12-30", "recorded_date": "2024-12-31",
         "ward_code": "E05013697", "lsoa_code": "E01002700", "knife_flag": "Y", "firearm_flag": "N",
         "domestic_abuse_flag": "N", "syv_flag": "Y", "injury_flag": "Y"}
INVOLVEMENT_1 = {"involvement_id": "I1", "crime_ref": "C1", "role": "VICTIM", "forename": "Dee", "surname": "Ng",
                 "dob": "2009-05-06", "sex": "F", "ethnicity": "W1", "pnc_id": None}
INVOLVEMENT_2 = {**INVOLVEMENT_1, "involvement_id": "I2", "role": "SUSPECT", "ethnicity": "ZZ"}

FACTORS = {"cinf_table_id": "F1", "cinf_assessment_id": "A1", "cinf_assessment_factors_json": '["3A","13A"]'}

RAW_LOADS = [
    ("education", "pupils", FIRST_LOAD, [PUPIL_1, PUPIL_2]),
    ("education", "pupils", SECOND_LOAD, [{**PUPIL_1, "year_group": "8"}, PUPIL_3, PUPIL_3]),
    ("social_care", "ssd_cin_episodes", FIRST_LOAD, [EPISODE_1, EPISODE_2]),
    ("social_care", "ssd_cin_episodes", SECOND_LOAD, [{**EPISODE_1, "cine_close_date": "2025-01-03"}, EPISODE_3, EPISODE_3]),
    ("social_care", "ssd_assessment_factors", FIRST_LOAD, [FACTORS]),
    ("police", "crimes", FIRST_LOAD, [CRIME]),
    ("police", "involvements", FIRST_LOAD, [INVOLVEMENT_1, INVOLVEMENT_2]),
]

VIEW_TYPES = {"string": "VARCHAR", "json_array": "VARCHAR", "date": "DATE", "integer": "INTEGER",
              "decimal": "DOUBLE", "boolean": "BOOLEAN"}


def load_raw(con, source: str, extract: str, load: tuple[str, datetime, str], rows: list[dict]) -> None:
    """Insert rows as the loader would: pseudonymised text values plus load metadata."""
    contract = get_contract(source, extract)
    load_id, loaded_at, night = load
    frame = pd.DataFrame([{c: row.get(c) for c in contract.columns} for row in rows], dtype=object)
    frame["_source_row_number"] = range(1, len(rows) + 1)
    pseudonymised = pseudonymise(contract, frame, KEY).rows
    columns = [c.name for c in warehouse_columns(contract)]
    quoted = ", ".join(f'"{c}"' for c in [*columns, *LOAD_METADATA_COLUMNS])
    placeholders = ", ".join("?" * (len(columns) + len(LOAD_METADATA_COLUMNS)))
    for values in pseudonymised[columns].itertuples(index=False):
        number = len(con.execute(f"select 1 from {raw_table(contract)} where _load_id = ?", [load_id]).fetchall()) + 1
        con.execute(f"insert into {raw_table(contract)} ({quoted}) values ({placeholders})",
                    [*values, load_id, contract.file_name(night), f"sum-{load_id}", number, loaded_at])


def pupil(pupil_id: str) -> str:
    return tokenise(KEY, "pupil_id", [pupil_id], kind="agency_id")[0]


def fresh_warehouse(home, loads) -> Settings:
    settings = Settings(home=home)
    with connect(settings.warehouse_path) as con:
        ensure_schema(con)
        for source, extract, load, rows in loads:
            load_raw(con, source, extract, load, rows)
    return settings


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Settings:
    settings = fresh_warehouse(tmp_path_factory.mktemp("home"), RAW_LOADS)
    build(settings)
    return settings


def query(settings: Settings, sql: str) -> list[tuple]:
    with connect(settings.warehouse_path, read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.fixture(scope="module")
def staging_models(built) -> dict[str, dict]:
    """Staging model nodes of the built manifest, keyed by the contract they stage."""
    manifest = json.loads((built.dbt_target_dir / "manifest.json").read_text())
    models = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] == "model" and node["name"].startswith("stg_"):
            (source_id,) = [n for n in node["depends_on"]["nodes"] if n.startswith("source.")]
            contract = ".".join(source_id.split(".")[2:])
            assert contract not in models, f"{contract} is staged twice"
            models[contract] = node
    return models


@pytest.fixture(scope="module")
def staging_tests(built) -> list[dict]:
    manifest = json.loads((built.dbt_target_dir / "manifest.json").read_text())
    return [n for n in manifest["nodes"].values() if n["resource_type"] == "test" and n.get("test_metadata")]


def test_committed_sources_match_contracts():
    assert stale_sources() == []


def test_full_snapshot_keeps_latest_load_only(built):
    rows = query(built, """
        select pupil_id, year_group_code, year_group_label, sex_code, sex_label, school_name, _load_id
        from staging.stg_education__pupils order by year_group_code desc""")
    assert rows == [
        (pupil("P1"), "8", "Year 8", "F", "Female", "Archway Academy", "load-2"),
        (pupil("P3"), "7", "Year 7", "X", None, "Archway Academy", "load-2"),
    ]


def test_staging_holds_no_direct_identifier(built):
    assert query(built, """
        select upn like 'upn:%', birth_year_month, postcode_district, postcode_lsoa
        from staging.stg_education__pupils order by year_group_code desc limit 1""") == [(True, "2012-03", None, None)]
    assert query(built, "select birth_year_month from staging.stg_police__involvements order by involvement_id") == [
        ("2009-05",), ("2009-05",)]
    identifier_columns = query(built, """
        select count(*) from information_schema.columns
        where table_schema <> 'reference'  -- the borough's postcode lookup: places, not people
          and regexp_matches(column_name, '^(pers_)?(forename|surname|dob|postcode|date_of_birth)$')""")
    assert identifier_columns == [(0,)]


def test_delta_keeps_latest_version_of_each_key(built):
    rows = query(built, """
        select referral_id, close_date, referral_source_label, primary_need_label, _load_id
        from staging.stg_social_care__cin_episodes order by referral_id""")
    assert rows == [
        ("R1", date(2025, 1, 3), "Individual - family member or relative or carer", "Abuse or neglect", "load-2"),
        ("R2", None, "Individual - family member or relative or carer", "Abuse or neglect", "load-1"),
        ("R3", None, "Individual - family member or relative or carer", "Abuse or neglect", "load-2"),
    ]


def test_codes_decode_and_types_cast(built):
    assert query(built, """
        select offence_code, offence_label, ward_name, committed_date, is_knife, is_firearm
        from staging.stg_police__crimes""") == [
        ("001/00", "Murder", "Arsenal", date(2024, 12, 30), True, False)
    ]
    assert query(built, """
        select involvement_id, police_ethnicity_label, ethnicity_code, ethnicity_label, pnc_id
        from staging.stg_police__involvements order by involvement_id""") == [
        ("I1", "White - English/Welsh/Scottish/Northern Irish/British", "WBRI", "White British", None),
        ("I2", None, None, None, None),
    ]
    assert query(built, "select factor_codes from staging.stg_social_care__assessment_factors") == [(["3A", "13A"],)]
    assert query(built, """
        select distinct data_type from information_schema.columns
        where table_schema = 'codes' and column_name = 'code'""") == [("VARCHAR",)]


def test_every_contract_column_is_staged_once(built, staging_models):
    assert sorted(m for m in staging_models if not m.startswith("linkage.")) == sorted(c.name for c in all_contracts())
    for contract in all_contracts():
        node = staging_models[contract.name]
        documented = {name: col["config"]["meta"].get("raw_column") for name, col in node["columns"].items()}
        view = dict(query(built, f"""
            select column_name, data_type from information_schema.columns
            where table_schema = 'staging' and table_name = '{node["name"]}'"""))
        assert set(documented) == set(view), f"{node['name']}: documented columns differ from the view"
        raw_columns = {c.name: c for c in warehouse_columns(contract)}
        staged = [raw for raw in documented.values() if raw]
        assert sorted(staged) == sorted(raw_columns), f"{node['name']} does not stage each raw column once"
        for name, raw in documented.items():
            if raw:
                assert view[name] == VIEW_TYPES[raw_columns[raw].type], f"{node['name']}.{name} type"


def test_keys_and_required_columns_are_tested(staging_models, staging_tests):
    for contract in all_contracts():
        node = staging_models[contract.name]
        staged_name = {col["config"]["meta"].get("raw_column"): name for name, col in node["columns"].items()}
        tests = [t for t in staging_tests if t["attached_node"] == node["unique_id"] and t["config"]["severity"] == "ERROR"]
        not_null = {t["column_name"] for t in tests if t["test_metadata"]["name"] == "not_null"}
        required = {staged_name[c.name] for c in warehouse_columns(contract) if c.treatment != "age"
                    and (contract.field(c.source_field).required or c.source_field in contract.primary_key)}
        assert required <= not_null, f"{node['name']} lacks not_null on {sorted(required - not_null)}"
        key = sorted(staged_name[k] for k in contract.primary_key)
        unique_keys = [[t["column_name"]] for t in tests if t["test_metadata"]["name"] == "unique"]
        unique_keys += [sorted(t["test_metadata"]["kwargs"]["columns"]) for t in tests
                        if t["test_metadata"]["name"] == "unique_combination_of_columns"]
        assert key in unique_keys, f"{node['name']} lacks a unique test on {key}"


def test_failed_build_names_failing_tests(tmp_path):
    settings = fresh_warehouse(tmp_path, [("police", "crimes", FIRST_LOAD, [{**CRIME, "offence_code": None}])])
    with pytest.raises(DbtBuildError) as failure:
        build(settings, select="+stg_police__crimes")
    assert "failed on 1 node(s)" in str(failure.value)
    assert "not_null_stg_police__crimes_offence_code" in str(failure.value)
    assert "(fail: " in str(failure.value)


def test_failed_run_without_results_shows_dbt_output(tmp_path):
    with pytest.raises(DbtBuildError) as failure:
        build(Settings(home=tmp_path), select="no_such_method:x")
    assert "'no_such_method' is not a valid method name" in str(failure.value)
