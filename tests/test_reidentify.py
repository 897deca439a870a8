"""Re-identification: refused without a reason, audited before it answers, the right child, merged keys followed."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd
import pytest

from privacy_fixtures import OPERATOR, borough, copy_home, give_person_keys, person_key, run_cli
from youth_safety.config import Settings
from youth_safety.privacy.person_keys import NoPersonKeys
from youth_safety.privacy.reidentify import UnknownPersonKey, reidentify
from youth_safety.privacy.requests import OPERATOR_VAR, RequestRefused
from youth_safety.privacy.vault import connect_vault

REASON = "Strategy meeting 2024-117: section 47 enquiry"


@pytest.fixture(scope="module")
def keyed(tmp_path_factory) -> Settings:
    settings = copy_home(borough(tmp_path_factory), tmp_path_factory.mktemp("reidentify"))
    give_person_keys(settings)
    return settings


@pytest.fixture(scope="module")
def child(keyed) -> pd.Series:
    """The person known to the most agencies (then with the most records), from the ground truth."""
    with connect_vault(keyed, read_only=True) as vault:
        best = vault.execute("""select person_key from person_keys group by person_key
                                order by count(distinct source) desc, count(*) desc, person_key limit 1""").fetchall()[0][0]
    persons = pd.read_parquet(keyed.truth_dir / "persons.parquet").set_index("person_id")
    return persons.loc[int(best[2:])].rename(int(best[2:]))


def log(settings: Settings) -> pd.DataFrame:
    with duckdb.connect(str(settings.vault_path), read_only=True) as vault:
        if not vault.execute("select 1 from duckdb_tables() where table_name = 'reidentification_log'").fetchall():
            return pd.DataFrame(columns=["request_id", "operator", "person_key", "reason", "records_returned"])
        return vault.execute("select * from reidentification_log").df()


@pytest.mark.parametrize("reason", [None, "", "   \n ", "checking"])
def test_a_request_without_a_real_reason_is_refused_before_anything_is_read(keyed, child, reason):
    before = len(log(keyed))
    with pytest.raises(RequestRefused, match="reason of at least 10 characters"):
        reidentify(keyed, person_key(child.name), reason)
    assert len(log(keyed)) == before


def test_every_agency_record_of_the_child_comes_back_with_its_identifiers(keyed, child, monkeypatch):
    monkeypatch.setenv(OPERATOR_VAR, OPERATOR)
    found = reidentify(keyed, person_key(child.name), REASON)

    truth = pd.read_parquet(keyed.truth_dir / "source_records.parquet")
    theirs = truth[(truth["person_id"] == child.name) & truth["entity"].ne("patient")]  # a patient id is never sent
    assert {(r.source, r.entity, r.agency_id) for r in found.records} == set(zip(theirs["source"], theirs["entity"], theirs["record_id"]))
    assert len({r.source for r in found.records}) >= 4
    assert {(r.forename, r.surname, r.dob) for r in found.records} == {(child["forename"], child["surname"], date.fromisoformat(child["dob"]))}
    shared = {pair for r in found.records for pair in r.identifiers}
    assert ("nhs_number", child["nhs_number"]) in shared
    pupil_ids = {r.agency_id for r in found.records if r.entity == "pupil_id"}
    pupils = pd.concat(pd.read_csv(p, dtype=str, keep_default_na=False) for p in keyed.landing_dir.glob("education/*/pupils_*.csv"))
    assert {("upn", upn) for upn in pupils.loc[pupils["pupil_id"].isin(pupil_ids), "upn"]} <= shared
    assert {role for role, _ in shared} <= {"upn", "nhs_number", "pnc_id", "yot_id", "nino", "court_case_number", "linked_identifier"}

    audited = log(keyed).set_index("request_id").loc[found.request_id]
    assert (audited["operator"], audited["person_key"], audited["reason"], audited["records_returned"]) == (
        OPERATOR, person_key(child.name), REASON, len(found.records))


def test_the_request_is_audited_before_the_vault_is_asked(keyed, tmp_path):
    unlinked = copy_home(keyed, tmp_path / "unlinked")
    with connect_vault(unlinked) as vault:
        vault.execute("drop table person_keys")
    with pytest.raises(NoPersonKeys):
        reidentify(unlinked, "PK0000001", REASON)
    asked = log(unlinked).query("person_key == 'PK0000001'")
    assert len(asked) == 1 and asked["records_returned"].isna().all()  # asked, and no answer given


def test_a_merged_key_is_followed_to_its_survivor_and_audited_as_asked(keyed, child):
    survivor = person_key(child.name)
    with connect_vault(keyed) as vault:  # PK9000002 merged into PK9000001, which was merged into the survivor
        vault.execute("insert into person_key_history values ('2024-07-01', 'retired', 'PK9000001', ?), "
                      "('2024-06-30', 'retired', 'PK9000002', 'PK9000001')", [survivor])
    found = reidentify(keyed, "PK9000002", REASON)
    assert (found.resolution.current, found.resolution.merged, found.resolution.retired_on) == (survivor, True, date(2024, 6, 30))
    assert found.records == reidentify(keyed, survivor, REASON).records
    assert log(keyed).set_index("request_id").loc[found.request_id, "person_key"] == "PK9000002"


def test_an_unknown_key_is_refused_and_audited_as_no_records(keyed):
    with pytest.raises(UnknownPersonKey, match="no person holds key PK7777777"):
        reidentify(keyed, "PK7777777", REASON)
    asked = log(keyed).query("person_key == 'PK7777777'")
    assert asked["records_returned"].tolist() == [0]


def test_the_operator_command_shows_the_child_and_refuses_without_a_reason(keyed, child):
    key = person_key(child.name)
    done = run_cli(keyed, "reidentify", "--person-key", key, "--reason", REASON)
    assert done.returncode == 0, done.stderr
    assert f"Person {key}" in done.stdout and f"by {OPERATOR}, audited" in done.stdout
    assert f"name: {child['forename']} {child['surname']}" in done.stdout and f"nhs_number: {child['nhs_number']}" in done.stdout
    refused = run_cli(keyed, "reidentify", "--person-key", key)
    assert refused.returncode == 1 and "reason of at least 10 characters" in refused.stderr and child["surname"] not in refused.stdout
