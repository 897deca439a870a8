"""Row rules through real Great Expectations validations, on hand-made rows and a generated borough."""

from __future__ import annotations

import html
import json
import re
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from youth_safety.config import Settings
from youth_safety.contracts import Contract, Field, all_contracts, get_contract
from youth_safety.generator import MessRates, generate
from youth_safety.generator.geography import borough_postcodes
from youth_safety.identifiers import make_pnc_id, make_upn, nhs_check_digit
from youth_safety.quality.conformance import read_extract
from youth_safety.quality.data_docs import build_data_docs
from youth_safety.quality.row_rules import ASSESSMENT_COMPLETED, ERASED, OPTED_OUT, context_columns
from youth_safety.quality.rules import CATALOGUE
from youth_safety.quality.validate import validate, validate_rows

NIGHT = date(2025, 1, 10)
EVENT, DOB = "2024-11-04", "2010-05-06"  # a school day before the night; a child's birthday
NHS = next(f"{d}{nhs_check_digit(d)}" for d in (f"4010{i:05d}" for i in range(100)) if nhs_check_digit(d) is not None)
VALID = {
    "upn": make_upn(201, 4000, 10, 1), "nhs_number": NHS, "pnc_id": make_pnc_id(2024, 1234567),
    "postcode": borough_postcodes()[0][0], "lsoa": "E01002700", "academic_year": "2023/24",
}
TYPED = {"integer": "0", "decimal": "1.5", "boolean": "Y"}


def _good_value(f: Field, row: int) -> str:
    if f.codes:
        first = sorted(f.allowed_values)[0]
        return json.dumps([first]) if f.type == "json_array" else first
    if f.format:
        return VALID[f.format]
    if f.type == "date":
        return DOB if f.identifies == "dob" else EVENT
    return TYPED.get(f.type, f"{f.name}-{row}")


def good_row(contract: Contract, row: int) -> dict:
    """A row passing every rule: required fields filled, optional ones missing, no context flags."""
    values = {f.name: _good_value(f, row) if f.required else None for f in contract.fields}
    return {**values, OPTED_OUT: False, ERASED: False, ASSESSMENT_COMPLETED: True}


def frame_of(contract: Contract, rows: list[dict]) -> pd.DataFrame:
    """The frame the gate hands over: contract columns as objects, row numbers, context columns."""
    frame = pd.DataFrame(rows)[contract.columns].astype(object)
    frame["_source_row_number"] = np.arange(1, len(rows) + 1)
    for column in context_columns(contract):
        frame[column] = [bool(r[column]) for r in rows]
    return frame


def landed_frame(contract: Contract, path: Path) -> pd.DataFrame:
    raw = read_extract(path).astype(object)
    frame = raw.where(raw.ne(""), None)
    frame["_source_row_number"] = np.arange(1, len(frame) + 1)
    for column in context_columns(contract):
        frame[column] = column == ASSESSMENT_COMPLETED  # nobody opted out or erased; every assessment completed
    return frame


def reported(found: pd.DataFrame) -> list[tuple]:
    return list(found[["row_number", "rule_code", "column"]].itertuples(index=False, name=None))


# (rule, extract, column reported, changes to row 2, row 2 starts as a copy of row 1)
CASES = [
    ("CON-REQ", "social_care.ssd_cin_episodes", "cine_person_id", {"cine_person_id": None}, False),
    ("CON-TYPE", "social_care.ssd_cin_episodes", "cine_referral_date", {"cine_referral_date": "2024-13-01", "cine_close_date": "2024-11-01"}, False),
    ("CON-TYPE", "social_care.ssd_cin_episodes", "cine_close_date", {"cine_close_date": "2024-11-5"}, False),
    ("CON-TYPE", "education.attendance", "sessions_possible", {"sessions_possible": "ten"}, False),
    ("CON-TYPE", "education.attainment", "ks4_attainment8", {"ks4_attainment8": "4,5"}, False),
    ("CON-TYPE", "police.crimes", "knife_flag", {"knife_flag": "Yes"}, False),
    ("CON-TYPE", "social_care.ssd_assessment_factors", "cinf_assessment_factors_json", {"cinf_assessment_factors_json": "3A,13A"}, False),
    ("CON-CODE", "social_care.ssd_cin_episodes", "cine_referral_source_code", {"cine_referral_source_code": "ZZ9"}, False),
    ("CON-CODE", "social_care.ssd_assessment_factors", "cinf_assessment_factors_json", {"cinf_assessment_factors_json": '["1A", "ZZ9"]'}, False),
    ("FMT-UPN", "education.exclusions", "upn", {"upn": "12345"}, False),
    ("FMT-NHS", "health.semh_referrals", "nhs_number", {"nhs_number": NHS[:9] + str((int(NHS[9]) + 1) % 10)}, False),
    ("FMT-PNC", "police.arrests", "pnc_id", {"pnc_id": "24/123"}, False),
    ("FMT-POSTCODE", "health.semh_referrals", "postcode", {"postcode": "N1 0A"}, False),
    ("FMT-LSOA", "police.crimes", "lsoa_code", {"lsoa_code": "W01000001"}, False),
    ("FMT-ACYEAR", "education.attendance", "academic_year", {"academic_year": "2023/25"}, False),
    ("DAT-RANGE", "social_care.ssd_cin_episodes", "cine_close_date", {"cine_close_date": "2025-02-01"}, False),
    ("DAT-RANGE", "health.semh_referrals", "dob", {"dob": "1850-01-01"}, False),
    ("DAT-DOB", "health.semh_referrals", "dob", {"dob": "2024-12-01"}, False),
    ("TXT-FORMULA", "social_care.ssd_cin_episodes", "cine_referral_id", {"cine_referral_id": "=HYPERLINK(1)"}, False),
    ("TXT-LENGTH", "social_care.ssd_cin_episodes", "cine_person_id", {"cine_person_id": "x" * 256}, False),
    ("DUP-ROW", "social_care.ssd_cin_episodes", None, {}, True),
    ("DUP-KEY", "education.attendance", "pupil_id,school_urn,academic_year,term", {"sessions_possible": "3", "sessions_authorised": "1"}, True),
    ("CIN-01", "social_care.ssd_cin_episodes", "cine_close_date", {"cine_close_date": "2024-11-01"}, False),
    ("MIS-01", "social_care.ssd_missing", "miss_missing_episode_end_date", {"miss_missing_episode_end_date": "2024-11-01"}, False),
    ("CPP-01", "social_care.ssd_cp_plans", "cppl_cp_plan_end_date", {"cppl_cp_plan_end_date": EVENT}, False),
    ("ASF-01", "social_care.ssd_assessment_factors", "cinf_assessment_id", {ASSESSMENT_COMPLETED: False}, False),
    ("ATT-01", "education.attendance", "sessions_possible", {"sessions_authorised": "1"}, False),
    ("EXC-01", "education.exclusions", "start_date", {"start_date": "2024-08-10"}, False),
    ("YOS-01", "yos.offences", "outcome_date", {"outcome_date": "2024-11-01"}, False),
    ("GDPR-AGE", "health.semh_referrals", "dob", {"dob": "1990-01-01"}, False),
    ("GDPR-AGE", "police.arrests", "dob", {"dob": "1995-01-01"}, False),
    ("GDPR-AGE", "education.pupils", "dob", {"dob": "1998-01-01"}, False),
    ("GDPR-BOROUGH", "health.semh_referrals", "postcode", {"postcode": "E8 1AA"}, False),
    ("GDPR-RETENTION", "social_care.ssd_cin_episodes", "cine_referral_date", {"cine_referral_date": "2012-01-01"}, False),
    ("GDPR-OBJECTION", "yos.offences", None, {OPTED_OUT: True}, False),
    ("GDPR-ERASURE", "police.involvements", None, {ERASED: True}, False),
]


@pytest.mark.parametrize(("code", "extract", "column", "changes", "copy"), CASES, ids=[f"{c[0]}:{c[2]}" for c in CASES])
def test_a_rule_reports_exactly_the_offending_row(code, extract, column, changes, copy):
    contract = get_contract(*extract.split("."))
    first = good_row(contract, 1)
    second = {**(first if copy else good_row(contract, 2)), **changes}
    found = validate_rows(contract, frame_of(contract, [first, second]), NIGHT)
    assert reported(found) == [(2, code, column)]


def test_every_row_rule_and_gdpr_row_rule_has_a_case():
    gdpr_rules_of_the_gate = {"GDPR-MINIMISATION", "GDPR-SPECIAL"}
    expected = {r.code for r in CATALOGUE.values() if r.kind in ("row", "gdpr")} - gdpr_rules_of_the_gate
    assert {case[0] for case in CASES} == expected


def test_good_rows_of_every_extract_pass_their_suite():
    for contract in all_contracts():
        rows = [good_row(contract, 1), good_row(contract, 2)]
        assert reported(validate_rows(contract, frame_of(contract, rows), NIGHT)) == [], contract.name


def test_judgements_that_must_not_fire():
    attainment = get_contract("education", "attainment")
    negative_decimal = {**good_row(attainment, 1), "ks4_progress8": "-0.5"}  # only string fields can hold formulas
    pupils = get_contract("education", "pupils")
    adult_now_child_then = {**good_row(pupils, 1), "dob": "1998-01-01", "leaving_date": "2015-07-20"}  # age at the record date
    semh = get_contract("health", "semh_referrals")
    resident = {**good_row(semh, 1), "postcode": VALID["postcode"], "first_appointment_date": "2024-12-01"}
    for contract, row in ((attainment, negative_decimal), (pupils, adult_now_child_then), (semh, resident)):
        assert reported(validate_rows(contract, frame_of(contract, [row]), NIGHT)) == [], contract.name


def test_a_frame_missing_a_context_column_is_refused():
    contract = get_contract("yos", "offences")
    frame = frame_of(contract, [good_row(contract, 1)]).drop(columns=OPTED_OUT)
    with pytest.raises(ValueError, match=f"yos.offences.*{OPTED_OUT}"):
        validate_rows(contract, frame, NIGHT)


def test_row_numbers_come_from_the_source_not_the_position():
    contract = get_contract("yos", "offences")
    frame = frame_of(contract, [good_row(contract, 1), {**good_row(contract, 2), "outcome_date": "2024-11-01"}])
    frame["_source_row_number"] = [41, 42]
    assert reported(validate_rows(contract, frame, NIGHT)) == [(42, "YOS-01", "outcome_date")]


@pytest.fixture(scope="module")
def borough(tmp_path_factory) -> Settings:
    """A small generated borough with more planted row mess than usual, over two nightly deliveries."""
    settings = Settings(home=tmp_path_factory.mktemp("borough"))
    rates = MessRates(duplicate_row=0.01, invalid_code=0.005)
    generate(settings, scale=0.05, start=date(2018, 9, 1), end=date(2020, 3, 31), nightly_days=2, rates=rates)
    return settings


@pytest.fixture(scope="module")
def validated(borough) -> list[tuple[str, object]]:
    """(landed file, Validation) for every delivered file, judged on the night it was delivered."""
    deliveries = pd.read_csv(borough.truth_dir / "deliveries.csv")
    out = []
    for d in deliveries.itertuples():
        contract = get_contract(d.source, d.extract)
        frame = landed_frame(contract, borough.landing_dir / d.file)
        out.append((d.file, validate(contract, frame, date.fromisoformat(d.delivered_night))))
    return out


def test_a_generated_borough_shows_its_planted_mess_and_only_gdpr_exclusions_besides(borough, validated):
    mess = pd.read_csv(borough.truth_dir / "mess.csv", dtype=str, keep_default_na=False)
    planted_rows = mess[mess["row_number"] != "-1"].astype({"row_number": int})
    other_codes = set()
    for file, validation in validated:
        found, planted = validation.violations, planted_rows[planted_rows["file"] == file]
        codes, planted_codes = found[found["rule_code"] == "CON-CODE"], planted[planted["kind"] == "invalid_code"]
        assert sorted(zip(codes["row_number"], codes["column"])) == sorted(zip(planted_codes["row_number"], planted_codes["column"])), file
        dups, planted_dups = found[found["rule_code"] == "DUP-ROW"], planted[planted["kind"] == "duplicate_row"]
        assert sorted(dups["row_number"]) == sorted(planted_dups["row_number"]), file
        rest = found[~found["rule_code"].isin(["CON-CODE", "DUP-ROW"])]
        assert {CATALOGUE[code].kind for code in rest["rule_code"]} <= {"gdpr"}, (file, rest.head())
        other_codes |= set(rest["rule_code"])
    assert (planted_rows["kind"] == "invalid_code").sum() > 10 and (planted_rows["kind"] == "duplicate_row").sum() > 10
    # Person snapshots and involvements hold people now over 25; the go-live history holds old records.
    assert other_codes <= {"GDPR-AGE", "GDPR-RETENTION"}


def _identifier_values(borough: Settings) -> set[str]:
    """Every value the generator wrote in a direct-identifier column and never in any other column."""
    identifying, other = set(), set()
    for path in borough.landing_dir.rglob("*.csv"):
        source, extract = path.parts[-3], path.name.rsplit("_", 1)[0]
        contract, frame = get_contract(source, extract), read_extract(path)
        for f in contract.fields:
            (identifying if f.privacy == "direct_identifier" else other).update(frame[f.name])
    return identifying - other - {""}


def _tokens(text: str) -> set[str]:
    """Every word of a text, coarse (names as O'Brien, ids as 24/1234567A) and fine, and every postcode."""
    return {*re.findall(r"[\w'/-]+", text), *re.findall(r"[A-Za-z0-9]+", text), *re.findall(r"\b[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}\b", text)}


def test_data_docs_never_show_an_identifier(borough, validated):
    index = build_data_docs(borough, date(2020, 3, 31), validated)
    pages = [p for p in index.parent.rglob("*") if p.is_file() and "static" not in p.relative_to(index.parent).parts]
    assert index.exists() and len(pages) > len(validated)
    text = html.unescape("\n".join(p.read_text(errors="replace") for p in pages))
    assert "(withheld)" in text  # identifier values were there to withhold
    assert not _identifier_values(borough) & _tokens(text)


def test_data_docs_render_a_new_night_without_rendering_the_earlier_ones_again(borough, validated):
    first, second = date(2021, 1, 4), date(2021, 1, 5)
    index = build_data_docs(borough, first, validated[:3])

    def pages() -> dict[Path, int]:
        return {p: p.stat().st_mtime_ns for p in index.parent.rglob("*.html")}

    before = pages()
    build_data_docs(borough, second, validated[:1])
    after = pages()
    rendered = {p.relative_to(index.parent) for p in after if before.get(p) != after[p]}
    new_results = {p for p in rendered if p.parts[0] == "validations"}
    assert new_results and all(second.isoformat() in p.parts for p in new_results), rendered  # only the new night's results
    assert not {p for p in rendered if first.isoformat() in p.parts}  # the earlier night's pages were left as they were
    assert len(after) == len(before) + len(new_results)
    assert first.isoformat() in index.read_text() and second.isoformat() in index.read_text()  # the index lists both
