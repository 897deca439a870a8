"""Discovery and loading of landed files into the raw layer, on small files in a tmp landing zone."""

from __future__ import annotations

import hashlib
from datetime import date

import duckdb
import pytest

from youth_safety.config import Settings
from youth_safety.contracts import get_contract
from youth_safety.ingest import GateFailure, LandingError, landed_files, load_source
from youth_safety.warehouse import connect, ensure_schema

D1, D2, D3 = date(2024, 3, 1), date(2024, 3, 2), date(2024, 3, 3)
PUPILS = get_contract("education", "pupils")  # full snapshot, has optional columns
ATTAINMENT = get_contract("education", "attainment")  # delta


def table_counts(settings: Settings) -> dict[str, int]:
    with connect(settings.warehouse_path, read_only=True) as con:
        return {
            table: con.execute(f"select count(*) from {table}").fetchone()[0]
            for table in ("raw_education.pupils", "raw_education.attainment", "audit.file_loads")
        }


def files_and_rows(load) -> tuple[int, int, int]:
    return load.files_loaded, load.files_skipped, load.rows_loaded


def test_discovery_orders_by_delivery_then_extract_night(settings, land):
    land(PUPILS, D1, D1, 1)
    land(ATTAINMENT, D1, D1, 1)
    land(PUPILS, D2, D2, 1)
    land(ATTAINMENT, D2, D2, 1)
    land(ATTAINMENT, D2, D1, 1)  # late file for D1, delivered with D2
    land(ATTAINMENT, D3, D3, 1)  # after the night: not yet
    found = [(f.delivered_night, f.extract_night, f.contract.extract) for f in landed_files(settings, "education", D2)]
    assert found == [
        (D1, D1, "attainment"),
        (D1, D1, "pupils"),
        (D2, D1, "attainment"),
        (D2, D2, "attainment"),
        (D2, D2, "pupils"),
    ]


def test_loads_every_landed_row_with_load_metadata(settings, land):
    land(PUPILS, D1, D1, 3)
    land(PUPILS, D2, D2, 4)
    land(ATTAINMENT, D1, D1, 2)
    late = land(ATTAINMENT, D2, D1, 5)
    land(ATTAINMENT, D3, D3, 6)  # delivered after the night

    assert files_and_rows(load_source(settings, "education", D2)) == (4, 0, 14)
    assert table_counts(settings) == {"raw_education.pupils": 7, "raw_education.attainment": 7, "audit.file_loads": 4}

    checksum = hashlib.sha256(late.read_bytes()).hexdigest()
    name = "education/2024-03-02/attainment_20240301.csv"
    with connect(settings.warehouse_path, read_only=True) as con:
        metadata = con.execute(
            "select distinct _load_id, _file_checksum, _loaded_at is not null from raw_education.attainment "
            "where _file_name = ?",
            [name],
        ).fetchall()
        row_numbers = con.execute(
            "select list(_source_row_number order by _source_row_number) from raw_education.attainment "
            "where _file_name = ?",
            [name],
        ).fetchone()[0]
        audit = con.execute(
            "select extract_night, delivered_night, rows_received, rows_loaded from audit.file_loads where file_name = ?",
            [name],
        ).fetchall()
        empty_optional = con.execute("select count(*) from raw_education.pupils where upn is null").fetchone()[0]
    assert metadata == [(f"education.attainment.2024-03-01.{checksum[:12]}", checksum, True)]
    assert row_numbers == [1, 2, 3, 4, 5]
    assert audit == [(D1, D2, 5, 5)]
    assert empty_optional == 7  # an empty string lands as NULL


def test_rerun_of_a_night_adds_nothing(settings, land):
    land(PUPILS, D1, D1, 3)
    land(ATTAINMENT, D1, D1, 2)
    load_source(settings, "education", D1)
    before = table_counts(settings)

    assert files_and_rows(load_source(settings, "education", D1)) == (0, 2, 0)
    assert table_counts(settings) == before


def test_a_re_sent_file_is_skipped_but_an_identical_snapshot_of_another_night_loads(settings, land):
    first = land(PUPILS, D1, D1, 3)
    load_source(settings, "education", D1)
    resent = land(PUPILS, D2, D1, 3)  # yesterday's file delivered again tonight
    same_content_next_night = land(PUPILS, D2, D2, 3)
    assert resent.read_bytes() == first.read_bytes() == same_content_next_night.read_bytes()

    assert files_and_rows(load_source(settings, "education", D2)) == (1, 2, 3)
    assert table_counts(settings)["raw_education.pupils"] == 6


def test_missing_header_column_fails_naming_file_and_column(settings, land):
    land(PUPILS, D1, D1, 3)
    load_source(settings, "education", D1)
    before = table_counts(settings)
    land(ATTAINMENT, D2, D2, 2, columns=[c for c in ATTAINMENT.columns if c != "academic_year"])

    with pytest.raises(GateFailure, match=r"education/2024-03-02/attainment_20240302\.csv rejected under FILE-COLUMNS .*academic_year"):
        load_source(settings, "education", D2)
    after = table_counts(settings)
    assert after["raw_education.attainment"] == before["raw_education.attainment"]
    assert after["audit.file_loads"] == before["audit.file_loads"] + 1  # the rejection is recorded


def test_a_rejected_file_holds_back_its_source_until_the_next_night(settings, land):
    land(PUPILS, D1, D1, 3)
    land(ATTAINMENT, D1, D1, 2, columns=[c for c in ATTAINMENT.columns if c != "key_stage"])
    with pytest.raises(GateFailure, match="1 other file"):
        load_source(settings, "education", D1)
    assert table_counts(settings)["raw_education.pupils"] == 0
    with connect(settings.warehouse_path, read_only=True) as con:
        statuses = dict(con.execute("select extract, status from audit.file_loads").fetchall())
    assert statuses == {"pupils": "blocked", "attainment": "rejected"}

    load = load_source(settings, "education", D2)  # the rejected file is not tried again; the blocked one is
    assert (load.files_loaded, load.files_skipped, load.rows_loaded, load.status) == (1, 1, 3, "published")


def test_a_file_loads_all_or_nothing(settings, land):
    land(ATTAINMENT, D1, D1, 3)
    with connect(settings.warehouse_path) as con:  # an audit table that will refuse the file's audit row
        con.execute("create schema audit")
        con.execute("create table audit.file_loads (load_id varchar)")
        ensure_schema(con)

    with pytest.raises(duckdb.BinderException):
        load_source(settings, "education", D1)
    assert table_counts(settings)["raw_education.attainment"] == 0


def test_a_row_with_too_many_fields_is_named(settings, land):
    path = land(ATTAINMENT, D1, D1, 2)
    with open(path, "a") as fh:
        fh.write("a," * len(ATTAINMENT.columns) + "\n")

    with pytest.raises(GateFailure, match=r"attainment_20240301\.csv rejected under FILE-TRUNCATED .*data row 3"):
        load_source(settings, "education", D1)


def test_a_file_no_contract_describes_is_named(settings):
    folder = settings.landing_night_dir("education", D1.isoformat())
    folder.mkdir(parents=True)
    (folder / "timetables_20240301.csv").write_text("x\n")

    with pytest.raises(LandingError, match=r"timetables_20240301\.csv: no contract for extract education\.timetables"):
        landed_files(settings, "education", D1)
