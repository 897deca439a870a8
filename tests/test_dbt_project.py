"""The dbt project: sources follow the contracts, a real build stages the raw layer, its docs are
published with no row value, and no model column is a direct identifier or undocumented."""

from __future__ import annotations

import json
import re
from datetime import date, datetime

import pandas as pd
import pytest
import yaml

from youth_safety.config import REPO_ROOT, Settings
from youth_safety.contracts import all_contracts
from youth_safety.dbt_runner import DOCS_STAMP, DbtBuildError, build, project_fingerprint, publish_docs_if_changed, unit_tests
from youth_safety.dbt_sources import stale_sources
from youth_safety.privacy.layout import DROPPED, warehouse_columns
from youth_safety.privacy.scanner import _report_hits, _words
from youth_safety.warehouse import LOAD_METADATA_COLUMNS, connect

from dbt_fixtures import fresh_warehouse, pupil, query

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


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Settings:
    settings = fresh_warehouse(tmp_path_factory.mktemp("home"), RAW_LOADS)
    with connect(settings.warehouse_path) as con:  # linkage's output: pupil P1 and involvement I1 are one girl
        con.executemany("insert into linkage.person_keys values (?, ?, ?, ?)", [
            ("education", "pupil_id", pupil("P1"), "PK0000001"), ("police", "involvement_id", "I1", "PK0000001"),
            ("education", "pupil_id", pupil("P3"), "PK0000002"),
            ("education", "pupil_id", pupil("P2"), "PK0000003")])  # P2 is only in the older snapshot
    build(settings)
    return settings


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
def docs(built):
    """The published dbt docs folder and its manifest and catalog."""
    folder = publish_docs_if_changed(built)
    return folder, json.loads((folder / "manifest.json").read_text()), json.loads((folder / "catalog.json").read_text())


@pytest.fixture(scope="module")
def staging_tests(built) -> list[dict]:
    manifest = json.loads((built.dbt_target_dir / "manifest.json").read_text())
    return [n for n in manifest["nodes"].values() if n["resource_type"] == "test" and n.get("test_metadata")]


def test_docs_are_remade_only_when_the_project_changed(built, docs):
    folder, _, _ = docs
    assert (folder / DOCS_STAMP).read_text() == project_fingerprint()
    made = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    assert publish_docs_if_changed(built) is None  # the same project: the published docs stand
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == made
    (folder / DOCS_STAMP).write_text("made from an earlier project")
    assert publish_docs_if_changed(built) == folder  # another project: made again
    assert (folder / DOCS_STAMP).read_text() == project_fingerprint()
    assert (folder / "index.html").stat().st_mtime_ns > made["index.html"]


def test_every_dbt_unit_test_passes(built):
    """The nightly build leaves the unit tests out (they prove the SQL, not the night's data); here they all run."""
    unit_tests(built)
    results = json.loads((built.dbt_target_dir / "run_results.json").read_text())["results"]
    units = [r for r in results if r["unique_id"].startswith("unit_test.")]
    assert len(units) >= 20 and {r["status"] for r in units} == {"pass"}


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


# Contract fields the warehouse layout drops (names) or degrades (DOB, postcode), and the generic spellings.
DEGRADED = (*DROPPED, "dob", "postcode")
IDENTIFIER_NAMES = {f.name for c in all_contracts() for f in c.fields if f.identifies in DEGRADED}
IDENTIFIER_NAME = re.compile(r"^(pers_)?(forename|surname|first_name|last_name|dob|date_of_birth|postcode)$")
PRIVACY_CLASSES = {"pseudonym", "quasi_identifier", "special_category", "none"}


def _is_identifier_name(column: str) -> bool:
    return column.lower() in IDENTIFIER_NAMES or bool(IDENTIFIER_NAME.match(column.lower()))


def test_dbt_docs_are_published_with_the_staging_columns(built, docs, staging_models):
    folder, manifest, catalog = docs
    assert folder == built.reports_dir / "dbt-docs"
    assert {p.name for p in folder.iterdir()} == {"index.html", "manifest.json", "catalog.json", DOCS_STAMP}
    index = (folder / "index.html").read_text()
    assert "MANIFEST.JSON INLINE DATA" not in index and "stg_education__pupils" in index  # static: opens without a server
    assert manifest["metadata"]["send_anonymous_usage_stats"] is False  # the page tracks nothing
    assert catalog["errors"] is None
    for node in staging_models.values():
        listed = catalog["nodes"][node["unique_id"]]["columns"]
        assert {c.lower() for c in listed} == set(node["columns"]), f"{node['name']}: catalog columns"
        assert all(c["type"] for c in listed.values())
    assert {"name", "type", "index", "comment"} >= {k for c in catalog["nodes"].values() for col in c["columns"].values() for k in col}
    assert {k for n in catalog["nodes"].values() for k in n["stats"]} <= {"has_stats"}  # no row counts or values


def test_dbt_docs_hold_no_row_value(built, docs):
    """No value of a personal column (a source column classed pseudonym, quasi-identifier or special
    category, and the staging columns made from it) is in the docs, and the scanner finds nothing there."""
    folder, manifest, _ = docs
    text = "\n".join((folder / name).read_text() for name in ("index.html", "manifest.json", "catalog.json"))
    personal = [(s["schema"], s["name"], name) for s in manifest["sources"].values() for name, column in s["columns"].items()
                if column["config"]["meta"].get("privacy", "none") != "none"]
    staged = [(n["schema"], n["name"], name) for n in manifest["nodes"].values() if n["resource_type"] == "model"
              for name, column in n["columns"].items()
              if (column["config"]["meta"].get("raw_column") or "").endswith(("_id", "upn", "nhs_number", "pnc_id", "birth_year_month"))]
    with connect(built.warehouse_path, read_only=True) as con:
        values = {v for schema, table, column in personal + staged
                  for (v,) in con.execute(f'select distinct cast("{column}" as varchar) from {schema}."{table}"').fetchall()
                  if v and len(v) >= 5}
    tokens = {v for v in values if ":" in v}
    assert len(tokens) > 5 and pupil("P1") in tokens and "2012-03" in values
    assert sorted(v for v in values if v in text) == []
    given = pd.DataFrame({"kind": "name", "value": [f"{r['forename']} {r['surname']}".upper() for r in (PUPIL_1, INVOLVEMENT_1)]
                          + [PUPIL_1["upn"], *map(str.upper, tokens)]})
    hits, files = _report_hits(built, given)  # what the identifier scanner does with every report file
    assert files >= 3 and hits == []


def test_dbt_docs_page_reads_as_no_name_or_agency_id_to_the_scanner(docs):
    """Whatever the seed: no two adjacent words of the page are names the generator can give, no word is shaped
    like an agency id (dbt's CSS ``li+li`` once read as the name "LI LI")."""
    folder, _, _ = docs
    groups = yaml.safe_load((REPO_ROOT / "include/youth_safety/generator/names.yml").read_text())["groups"]
    names = {n.upper() for group in groups.values() for pool in group.values() for n in pool}
    words = _words(folder / "index.html")
    assert sorted({f"{a} {b}" for a, b in zip(words, words[1:]) if a in names and b in names}) == []
    assert sorted({w for w in words if re.fullmatch(r"P\d{7}|T\d{6}|C\d{6}|Y\d{5}|H\d{7}|[A-Z]\d{12}", w)}) == []


def test_no_model_column_is_a_direct_identifier_and_every_source_column_has_a_privacy_class(built, docs):
    _, manifest, catalog = docs
    models = [n for n in manifest["nodes"].values() if n["resource_type"] == "model"]
    assert models
    for node in models:
        columns = set(node["columns"]) | set(catalog["nodes"].get(node["unique_id"], {}).get("columns", {}))
        named = sorted(c for c in columns if _is_identifier_name(c))
        assert named == [], f"{node['name']} has direct identifier columns {named}"
    for source in manifest["sources"].values():
        from_contract = "contract" in source["meta"]
        for name, column in source["columns"].items():
            privacy = column["config"]["meta"].get("privacy")
            assert not _is_identifier_name(name), f"{source['unique_id']}.{name} is a direct identifier column"
            if from_contract and name not in LOAD_METADATA_COLUMNS:
                assert privacy, f"{source['unique_id']}.{name} has no meta.privacy"
            assert privacy in PRIVACY_CLASSES | {None}, f"{source['unique_id']}.{name} is classed {privacy}"


def test_every_model_and_model_column_is_described(docs):
    _, manifest, catalog = docs
    for node in (n for n in manifest["nodes"].values() if n["resource_type"] == "model"):
        assert node["description"].strip(), f"{node['name']} has no description"
        built_columns = {c.lower() for c in catalog["nodes"][node["unique_id"]]["columns"]}
        undocumented = sorted(built_columns - set(node["columns"]))
        assert undocumented == [], f"{node['name']} has undocumented columns {undocumented}"
        blank = sorted(name for name, column in node["columns"].items() if not column["description"].strip())
        assert blank == [], f"{node['name']} has columns without a description: {blank}"


def test_published_schema_holds_only_disclosure_controlled_aggregates(docs):
    """Person-level marts stay in the analysts' schema; every published model is tested for disclosure control."""
    _, manifest, catalog = docs
    published = [n for n in manifest["nodes"].values() if n["resource_type"] == "model" and n["schema"] == "published"]
    assert published
    controls = {"disclosure_controlled", "counts_disclosure_controlled"}
    controlled = {d for n in manifest["nodes"].values() if n["resource_type"] == "test"
                  and n.get("test_metadata", {}).get("name") in controls for d in n["depends_on"]["nodes"]}
    for node in published:
        assert node["unique_id"] in controlled, f"{node['name']} has no disclosure-control test"
        columns = set(catalog["nodes"][node["unique_id"]]["columns"])
        assert "person_key" not in columns and not any(c.endswith("_id") for c in columns), node["name"]
    person_level = [n["name"] for n in manifest["nodes"].values()
                    if n["resource_type"] == "model" and "person_key" in n["columns"]]
    assert "dim_person" in person_level
    assert all(manifest["nodes"][f"model.youth_safety.{name}"]["schema"] != "published" for name in person_level)


def test_dim_person_joins_linked_records_into_one_row_per_person(built):
    rows = query(built, """
        select person_key, sex_code, ethnicity_code, is_girl_or_young_woman, is_black_african_boy, agency_records,
               known_to_education, known_to_police, ever_sen
        from marts.dim_person order by person_key""")
    assert rows == [
        ("PK0000001", "F", "BAFR", True, False, 2, True, True, True),  # the school census's ethnicity beats the police's
        ("PK0000002", None, "BAFR", False, False, 1, True, False, True),  # sex 'X' is not M or F: unknown
        ("PK0000003", None, None, False, False, 1, True, False, False),  # keyed, but gone from staging: still a person
    ]
