"""The committed Great Expectations suites: in step with the contracts, traceable to the catalogue."""

from __future__ import annotations

import json

import pytest

from youth_safety.contracts import all_contracts
from youth_safety.governance.register import register
from youth_safety.quality import suites
from youth_safety.quality.row_rules import ROW_RULES
from youth_safety.quality.rules import CATALOGUE
from youth_safety.quality.suites import SuiteError, load_suite, stale_suites, suite_json, write_suites


def test_committed_suites_match_the_contracts():
    assert stale_suites() == [], "suites differ from the contracts: run youth_safety.quality.suites.write_suites()"


def test_stale_suites_sees_edits_missing_and_orphaned_suites(tmp_path, monkeypatch):
    monkeypatch.setattr(suites, "EXPECTATIONS_DIR", tmp_path)
    first, second, *_ = all_contracts()
    assert len(write_suites()) == len(all_contracts()) and stale_suites() == []
    edited = suites.suite_path(first)
    edited.write_text(edited.read_text().replace('"CON-REQ"', '"CON-TYPE"', 1))
    suites.suite_path(second).unlink()
    (tmp_path / "police.retired_extract.json").write_text("{}")
    assert stale_suites() == [first.name, second.name, "police.retired_extract"]
    write_suites()
    assert stale_suites() == [] and not (tmp_path / "police.retired_extract.json").exists()


def test_suite_json_is_stable():
    contract = all_contracts()[0]
    text = suite_json(contract)
    assert text == suite_json(contract) and text.endswith("}\n")
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True) + "\n"


def test_every_expectation_maps_back_to_the_catalogue():
    for contract in all_contracts():
        suite = load_suite(contract)
        assert suite.name == contract.name
        for expectation in suite.expectations:
            meta = expectation.meta
            assert set(meta) == {"rule_code", "column", "message"}, (contract.name, expectation)
            assert meta["message"] == CATALOGUE[meta["rule_code"]].message
            assert meta["column"] is None or set(meta["column"].split(",")) <= set(contract.columns)


def _suites_with(code: str) -> set[str]:
    return {c.name for c in all_contracts() if any(e.meta["rule_code"] == code for e in load_suite(c).expectations)}


@pytest.mark.parametrize(("code", "where"), [
    ("CIN-01", {"social_care.ssd_cin_episodes"}),
    ("ATT-01", {"education.attendance"}),
    ("EXC-01", {"education.exclusions"}),
    ("ASF-01", {"social_care.ssd_assessment_factors"}),
    ("GDPR-BOROUGH", {c.name for c in all_contracts() if c.borough_only}),
    ("GDPR-AGE", {c.name for c in all_contracts() if c.dob_field and c.record_date}),
    ("GDPR-RETENTION", {c.name for c in all_contracts() if c.record_date}),
    ("GDPR-OBJECTION", {c.name for c in all_contracts()}),
    ("GDPR-ERASURE", {c.name for c in all_contracts()}),
    ("DUP-ROW", {c.name for c in all_contracts()}),
])
def test_a_rule_is_checked_on_the_extracts_it_concerns(code, where):
    assert where and _suites_with(code) == where


def test_run_time_values_are_parameters_and_retention_comes_from_the_register():
    for contract in all_contracts():
        for expectation in load_suite(contract).expectations:
            kwargs = expectation.configuration.kwargs
            if expectation.meta["rule_code"] in ("DAT-RANGE", "GDPR-AGE", "GDPR-RETENTION"):
                assert kwargs["night"] == {"$PARAMETER": "night"}
            if expectation.meta["rule_code"] == "GDPR-RETENTION":
                assert kwargs["retention_years"] == register()[contract.source].retention_years
    assert set(ROW_RULES) <= set(CATALOGUE)


def test_an_unreadable_suite_is_refused_by_name(tmp_path, monkeypatch):
    monkeypatch.setattr(suites, "EXPECTATIONS_DIR", tmp_path)
    contract = all_contracts()[0]
    with pytest.raises(SuiteError, match="no suite"):
        load_suite(contract)
    path, raw = suites.suite_path(contract), json.loads(suite_json(contract))
    path.write_text(json.dumps({**raw, "expectations": [{**raw["expectations"][0], "kwargs": {}}]}))
    with pytest.raises(SuiteError, match=f"{contract.name}.json: not a readable suite"):
        load_suite(contract)
    path.write_text(json.dumps({**raw, "expectations": [{"type": "expect_nothing_in_particular", "kwargs": {}}]}))
    with pytest.raises(SuiteError, match=f"{contract.name}.json: 1 expectation"):
        load_suite(contract)


def test_the_operator_command_checks_the_suites(cli):
    done = cli("suites", "--check")
    assert done.returncode == 0 and "Every suite matches its contract." in done.stdout
