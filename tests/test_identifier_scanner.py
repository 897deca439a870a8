"""The identifier scanner: it finds identifiers planted where analysts can reach them, and never shows them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import pandas as pd
import pytest

from youth_safety.config import Settings
from youth_safety.generator import generate
from youth_safety.identifiers import is_valid_upn
from youth_safety.privacy.scanner import ALL_SCHEMAS, KINDS, MIN_LENGTH, Hit, known_identifiers, scan

REPORT = "night_2024-03-31.html"
PLANTED = (
    Hit("analytics.case_notes", "note", "name", 1),
    Hit("analytics.case_notes", "note", "upn", 1),
    Hit("analytics.cohort", "date_of_birth", "dob", 1),
    Hit("raw_education.pupils", "upn", "upn", 3),
    Hit("reports", REPORT, "nhs_number", 1),
)
REFERENCE = Hit("reference.lookup", "value", "upn", 1)


@dataclass(frozen=True)
class Plants:
    upns: tuple[str, ...]
    name: str
    dob: str
    nhs_number: str

    @property
    def values(self) -> list[str]:
        return [*self.upns, self.name, self.dob, self.nhs_number]


def _plants(settings: Settings) -> Plants:
    """Identifiers of generated people: three landed UPNs and one person's name, DOB and NHS number."""
    pupils = pd.concat(pd.read_csv(p, dtype=str) for p in settings.landing_dir.glob("education/*/pupils_*.csv"))
    upns = sorted(u for u in set(pupils["upn"].dropna()) if is_valid_upn(u))[:3]
    person = pd.read_parquet(settings.truth_dir / "persons.parquet").iloc[0]
    return Plants(tuple(upns), f"{person.forename} {person.surname}", person.dob, person.nhs_number)


def _build_warehouse(settings: Settings, plants: Plants) -> None:
    """Two clean analyst relations, two with planted identifiers, a raw schema full of UPNs, a reference list with one."""
    settings.warehouse_path.parent.mkdir(parents=True)
    with duckdb.connect(str(settings.warehouse_path)) as con:
        con.execute("create schema analytics")
        con.execute("create table analytics.ward_counts (ward_code varchar, children integer, note varchar)")
        con.execute("insert into analytics.ward_counts values ('E05013697', 12, 'reviewed'), ('E05013698', 3, null)")
        con.execute("create view analytics.ward_totals as select ward_code, sum(children) as children "
                    "from analytics.ward_counts group by ward_code")
        con.execute("create table analytics.case_notes (note varchar)")
        con.executemany("insert into analytics.case_notes values (?)", [[plants.upns[0]], [plants.name], ["closed"]])
        con.execute("create table analytics.cohort (date_of_birth date, referral_date date)")
        con.execute("insert into analytics.cohort values (?, ?)", [plants.dob, plants.dob])
        con.execute("create schema raw_education")
        con.execute("create table raw_education.pupils (upn varchar, sex varchar)")
        con.executemany("insert into raw_education.pupils values (?, 'F')", [[u] for u in plants.upns])
        con.execute("create schema reference")
        con.execute("create table reference.lookup as select ? as value", [plants.upns[1]])


def _write_reports(settings: Settings, plants: Plants) -> None:
    settings.reports_dir.mkdir(parents=True)
    (settings.reports_dir / "files.csv").write_text("file,rows\npupils_20240331.csv,12\n")
    (settings.reports_dir / REPORT).write_text(
        f"<html><body><p>The referral for NHS number <b>{plants.nhs_number}</b>, was closed.</p></body></html>")


@pytest.fixture
def planted(tmp_path) -> tuple[Settings, Plants]:
    """A tiny generated borough, a hand-built warehouse and reports with identifiers planted in them."""
    settings = Settings(tmp_path)
    generate(settings, 0.02, 11, date(2024, 1, 1), date(2024, 3, 31), 2)
    plants = _plants(settings)
    _build_warehouse(settings, plants)
    _write_reports(settings, plants)
    return settings, plants


def _leaks(text: str, plants: Plants) -> list[str]:
    return [v for v in plants.values if v.upper() in text.upper()]


def test_known_identifiers_cover_every_kind_and_skip_short_values(planted):
    settings, plants = planted
    found = known_identifiers(settings)
    kinds = dict(zip(found["value"], found["kind"]))
    assert set(found["kind"]) == set(KINDS)
    assert found["value"].str.len().min() >= MIN_LENGTH
    assert found.loc[found["kind"] == "dob", "value"].str.fullmatch(r"\d{4}-\d\d-\d\d").all()
    assert found["value"].is_unique
    assert [kinds.get(v.upper()) for v in plants.values] == ["upn"] * 3 + ["name", "dob", "nhs_number"]


def test_scan_finds_exactly_the_plants_analysts_can_reach(planted):
    settings, plants = planted
    result = scan(settings)
    assert result.hits == PLANTED
    assert (result.relations, result.report_files) == (5, 2)
    assert _leaks(repr(result), plants) == []


def test_all_schemas_reaches_the_reference_lists_and_reports_can_be_skipped(planted):
    settings, plants = planted
    result = scan(settings, ALL_SCHEMAS, report_files=False)
    assert result.hits == (*PLANTED[:4], REFERENCE)
    assert (result.relations, result.report_files) == (6, 0)
    assert _leaks(repr(result), plants) == []


def test_cli_fails_on_identifiers_without_showing_them_then_passes_once_removed(planted, cli, monkeypatch):
    settings, plants = planted
    monkeypatch.setenv("YOUTH_SAFETY_HOME", str(settings.home))
    done = cli("scan-identifiers", "--all-schemas")
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert all(h.place in output for h in (*PLANTED, REFERENCE)) and "nhs_number" in output
    assert _leaks(output, plants) == []

    with duckdb.connect(str(settings.warehouse_path)) as con:
        con.execute("drop table analytics.case_notes; drop table analytics.cohort; drop schema raw_education cascade")
    (settings.reports_dir / REPORT).write_text("<html><body><p>No referral was closed.</p></body></html>")
    done = cli("scan-identifiers")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == "no direct identifier found in 2 tables/views and 2 report files"
