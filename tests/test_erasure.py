"""Erasure: nothing of the child is left in any table, view or model of either file, the log names
no one, and neither the same files loaded again nor a new night's snapshot brings them back."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
from dataclasses import dataclass
from datetime import timedelta

import duckdb
import pandas as pd
import pytest

from privacy_fixtures import END, OPERATOR, borough, copy_home, give_person_keys, person_key, run_cli
from youth_safety.config import Settings
from youth_safety.contracts import all_contracts, get_contract
from youth_safety.ingest import load_source
from youth_safety.privacy.erasure import erase, find_person, parse_identifier
from youth_safety.privacy.keys import load_key
from youth_safety.privacy.layout import entity, person_reference
from youth_safety.privacy.requests import RequestRefused
from youth_safety.privacy.tokens import tokenise
from youth_safety.privacy.vault import connect_vault
from youth_safety.warehouse import connect

REASON = "Erasure request DSR-2024-031, upheld by the DPO on 2024-07-01"
LINK_ROLES = {"UPN": "upn", "FORMER_UPN": "upn", "NHS": "nhs_number", "PNC": "pnc_id", "YOT": "yot_id",
              "NINO": "nino", "CASE": "court_case_number"}
KINDS = {"upn": "upn", "nhs_number": "nhs_number", "pnc_id": "pnc_id", "nino": "linked_identifier", "court_case_number": "linked_identifier"}
PLAIN = ("involvement_id", "arrest_id", "report_id", "referral_id")
EPISODES = get_contract("social_care", "ssd_cin_episodes")
SNAPSHOTS = ("education.pupils", "social_care.ssd_person", "yos.young_people")


@dataclass
class Erased:
    settings: Settings
    person_id: int
    traces: set[str]  # every identifier value and token of the child, their assessment ids and person key (upper case)
    before: dict[tuple[str, str, str], int]  # where the traces were before erasure
    rows: pd.DataFrame  # the child's raw rows before erasure: load_id, file_name, row_number
    done: subprocess.CompletedProcess


def child_values(settings: Settings, person_id: int) -> pd.DataFrame:
    """(role, value) of every identifier in the landed rows about the child, read from the files themselves."""
    truth = pd.read_parquet(settings.truth_dir / "source_records.parquet")
    ids = truth[truth["person_id"] == person_id].groupby("entity")["record_id"].agg(set)
    found = []
    for contract in all_contracts():
        reference = person_reference(contract)
        if reference is None:
            continue
        for path in settings.landing_dir.glob(f"{contract.source}/*/{contract.extract}_*.csv"):
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
            rows = frame[frame[reference.name].isin(ids.get(entity(reference), set()))]
            for f in contract.fields:
                if f.identifies in ("upn", "nhs_number", "pnc_id", "agency_id"):
                    found += [(f.id_namespace if f.identifies == "agency_id" else f.identifies, v) for v in rows[f.name]]
            if reference.privacy != "direct_identifier":
                found += [(reference.name, v) for v in rows[reference.name]]
            if "link_identifier_value" in rows:
                found += [(LINK_ROLES[t], v) for t, v in zip(rows["link_identifier_type"], rows["link_identifier_value"])]
            if contract.extract == "ssd_cin_assessments":
                found += [("cina_assessment_id", v) for v in rows["cina_assessment_id"]]
    return pd.DataFrame(found, columns=["role", "value"]).query("value != ''").drop_duplicates()


def traces_of(settings: Settings, person_id: int) -> set[str]:
    values = child_values(settings, person_id)
    key = load_key(settings)
    tokens = [tokenise(key, role, group["value"], KINDS.get(role, "agency_id"))
              for role, group in values.groupby("role") if role not in (*PLAIN, "cina_assessment_id")]
    return {str(v).upper() for v in [*values["value"], *(t for found in tokens for t in found), person_key(person_id)]}


def scan(settings: Settings, traces: set[str]) -> dict[tuple[str, str, str], int]:
    """Where the traces are: every text column of every table and view of the warehouse and the vault."""
    hits = {}
    for label, path in (("warehouse", settings.warehouse_path), ("vault", settings.vault_path)):
        with duckdb.connect(str(path), read_only=True) as con:
            con.register("traces", pd.DataFrame({"v": sorted(traces)}))
            columns = con.execute("""select schema_name, table_name, column_name from duckdb_columns()
                                     where database_name = current_database() and not internal and data_type in ('VARCHAR', 'JSON')""").fetchall()
            for schema, table, column in columns:
                found = con.execute(f'select count(*) from "{schema}"."{table}" '
                                    f'where upper(trim(cast("{column}" as varchar))) in (select v from traces)')
                n = found.fetchall()[0][0]
                if n:
                    hits[(label, f"{schema}.{table}", column)] = n
    return hits


def raw_rows(settings: Settings, traces: set[str]) -> pd.DataFrame:
    """The raw rows holding a trace in any column."""
    parts = []
    with connect(settings.warehouse_path, read_only=True) as con:
        con.register("traces", pd.DataFrame({"v": sorted(traces)}))
        for contract in all_contracts():
            columns = [r[0] for r in con.execute("select column_name from duckdb_columns() where schema_name = ? and table_name = ? "
                                                  "and data_type = 'VARCHAR' and not starts_with(column_name, '_')",
                                                  [f"raw_{contract.source}", contract.extract]).fetchall()]
            where = " or ".join(f'upper("{c}") in (select v from traces)' for c in columns)
            parts.append(con.execute(f"select _load_id as load_id, _file_name as file_name, _source_row_number as row_number "
                                     f"from raw_{contract.source}.{contract.extract} where {where}").df())
    return pd.concat(parts, ignore_index=True)


def plant_quarantined_row(settings: Settings, pers_person_id: str) -> None:
    """A late CIN episodes file with two of the child's referrals, the second with a code outside its list."""
    path = settings.landing_night_dir("social_care", END.isoformat()) / EPISODES.file_name((END - timedelta(days=2)).isoformat())
    code = {f.name: sorted(f.allowed_values)[0] for f in EPISODES.fields if f.codes}
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(EPISODES.columns)
        writer.writerow(["RPLANT1", pers_person_id, "2024-06-01", code["cine_referral_source_code"], code["cine_cin_primary_need_code"], ""])
        writer.writerow(["RPLANT2", pers_person_id, "2024-06-02", "ZZ9", code["cine_cin_primary_need_code"], ""])
    assert load_source(settings, "social_care", END).rows_quarantined == 1


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Settings:
    settings = copy_home(borough(tmp_path_factory), tmp_path_factory.mktemp("erasure"))
    give_person_keys(settings)
    return settings


def people(settings: Settings) -> list[int]:
    """People known to social care and at least three other agencies, most records first."""
    with connect_vault(settings, read_only=True) as vault:
        rows = vault.execute("""select person_key from person_keys group by person_key
                                having count(distinct source) >= 4 and bool_or(source = 'social_care')
                                order by count(*) desc, person_key""").fetchall()
    return [int(r[0][2:]) for r in rows]


@pytest.fixture(scope="module")
def erased(home) -> Erased:
    person_id = people(home)[0]
    truth = pd.read_parquet(home.truth_dir / "source_records.parquet")
    plant_quarantined_row(home, truth.query("person_id == @person_id and entity == 'pers_person_id'")["record_id"].iloc[0])
    traces = traces_of(home, person_id)
    before, rows = scan(home, traces), raw_rows(home, traces)
    done = run_cli(home, "erase", "--person-key", person_key(person_id), "--reason", REASON)
    return Erased(home, person_id, traces, before, rows, done)


def test_nothing_of_the_child_is_left_in_any_table_view_or_model(erased):
    assert erased.done.returncode == 0, erased.done.stderr
    places = {place for _, place, _ in erased.before}
    assert {"raw_education.pupils", "raw_social_care.ssd_person", "raw_social_care.ssd_assessment_factors", "audit.quarantine",
            "linkage.person_keys", "linkage.person_key_history", "main.person_records", "main.record_identifiers",
            "main.identifiers", "main.person_keys", "main.person_key_history"} <= places
    assert len({place.split(".")[0] for place in places}) >= 6  # raw schemas of several agencies, audit, vault
    assert scan(erased.settings, erased.traces) == {}
    with connect(erased.settings.warehouse_path, read_only=True) as con:  # and the models were rebuilt over what is left
        assert con.execute("select count(*) from duckdb_views() where schema_name = 'staging'").fetchall()[0][0] > 15


def test_the_erasure_log_says_who_why_and_how_much_but_not_whom(erased):
    assert "Erased" in erased.done.stdout and "dbt models rebuilt" in erased.done.stdout
    with connect(erased.settings.warehouse_path, read_only=True) as con:
        logged = con.execute("select * from audit.erasures").df()
    assert len(logged) == 1
    entry = logged.iloc[0]
    removed = json.loads(entry["rows_removed_by_layer"])
    assert (entry["operator"], entry["reason"]) == (OPERATOR, REASON)
    assert removed["raw"] == len(erased.rows) and removed["audit"] == 1 and removed["linkage"] > 1 and removed["vault"] > 0
    assert entry["identifiers_suppressed"] == len(child_values(erased.settings, erased.person_id))
    text = " ".join(str(v) for v in entry.to_numpy()).upper()
    assert not any(trace in text for trace in erased.traces)


def test_loading_the_same_files_again_does_not_bring_the_child_back(erased):
    settings, rows = erased.settings, erased.rows
    with connect(settings.warehouse_path) as con:
        con.execute("delete from audit.file_loads where list_contains(?, load_id)", [sorted(rows["load_id"].unique())])
    for source in sorted({name.split("/")[0] for name in rows["file_name"]}):
        load_source(settings, source, END)
    with connect(settings.warehouse_path, read_only=True) as con:
        excluded = set(con.execute("select file_name, source_row_number from audit.gdpr_exclusions where rule_code = 'GDPR-ERASURE'").fetchall())
        judged = con.execute("select rows_received, rows_loaded + rows_quarantined + rows_excluded from audit.file_loads "
                             "where list_contains(?, load_id) and status = 'loaded'", [sorted(rows["load_id"].unique())]).fetchall()
    assert set(zip(rows["file_name"], rows["row_number"])) <= excluded
    assert len(judged) == rows["load_id"].nunique() and all(received == accounted for received, accounted in judged)
    assert scan(settings, erased.traces) == {}


def test_a_new_nights_snapshot_still_holding_the_child_does_not_bring_them_back(erased):
    settings, night = erased.settings, END + timedelta(days=1)
    held = 0
    for name in SNAPSHOTS:
        contract = get_contract(*name.split("."))
        source = settings.landing_night_dir(contract.source, END.isoformat()) / contract.file_name(END.isoformat())
        target = settings.landing_night_dir(contract.source, night.isoformat()) / contract.file_name(night.isoformat())
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, target)
        frame = pd.read_csv(target, dtype=str, keep_default_na=False)
        held += frame[person_reference(contract).name].str.upper().isin(erased.traces).sum()
        load_source(settings, contract.source, night)
    with connect(settings.warehouse_path, read_only=True) as con:
        excluded = con.execute("select count(*) from audit.gdpr_exclusions where rule_code = 'GDPR-ERASURE' and file_name like ?",
                               [f"%/{night}/%"]).fetchall()[0][0]
    assert held >= 2 and excluded == held
    assert scan(settings, erased.traces) == {}


def test_an_identifier_finds_the_whole_person_through_their_person_key(home):
    other = people(home)[1]
    with connect_vault(home, read_only=True) as vault:
        theirs = vault.execute("select source, entity, record_key from person_keys where person_key = ? order by all",
                               [person_key(other)]).df()
        upn = vault.execute("""select min(value) from record_identifiers join person_keys using (source, entity, record_key)
                               where person_key = ? and role = 'upn'""", [person_key(other)]).fetchall()[0][0]
        found = find_person(vault, load_key(home), identifier=parse_identifier(f"UPN= {upn.lower()} "))
    assert found.keys == (person_key(other),)
    assert found.records.sort_values(["source", "entity", "record_key"], ignore_index=True).equals(theirs)
    assert len(theirs["source"].unique()) >= 4


def test_a_request_that_would_identify_the_child_or_names_no_one_is_refused(home):
    other = people(home)[1]
    persons = pd.read_parquet(home.truth_dir / "persons.parquet").set_index("person_id")
    key = load_key(home)
    with pytest.raises(RequestRefused, match="the reason names the person"):
        erase(home, key, f"Request from {persons.loc[other, 'forename']}'s parent, ref 2024-88", person_key=person_key(other))
    with pytest.raises(RequestRefused, match="ROLE=VALUE"):
        parse_identifier("surname=Smith")
    with pytest.raises(RequestRefused, match="reason of at least 10 characters"):
        erase(home, key, "asked to", person_key=person_key(other))
    with connect_vault(home, read_only=True) as vault:
        assert vault.execute("select count(*) from person_keys where person_key = ?", [person_key(other)]).fetchall()[0][0] > 0


def test_erasure_clears_a_real_linkage_run_pairs_decisions_and_review_queue(tmp_path_factory):
    """After a real Splink run, the child's scored pairs, review pairs and queue lines go too."""
    from youth_safety.linkage.nightly import link_night
    from youth_safety.linkage.review import review_dir

    settings = copy_home(borough(tmp_path_factory), tmp_path_factory.mktemp("erasure-linked"))
    link_night(settings, END)
    with connect_vault(settings, read_only=True) as vault:
        (key, ids, record_keys), = vault.execute("""
            select p.person_key, list(distinct r.record_id), list(distinct p.record_key)
            from person_keys p join link_records r using (source, entity, record_key)
            where r.record_id in (select record_id_l from link_pairs union select record_id_r from link_pairs)
            group by p.person_key order by count(*) desc, p.person_key limit 1""").fetchall()
    queue = review_dir(settings.home) / "queue_planted.csv"
    queue.write_text(f"pair_id,record_key_l,record_key_r,decision\nRP1,{record_keys[0]},someone-else,\nRP2,other,another,\n")

    erase(settings, load_key(settings), REASON, person_key=key)

    with connect_vault(settings, read_only=True) as vault:
        for table in ("link_pairs", "link_review_pairs"):
            left = vault.execute(f"select count(*) from {table} where list_contains(?, record_id_l) or list_contains(?, record_id_r)",
                                 [ids, ids]).fetchall()
            assert left == [(0,)], table
        assert vault.execute("select count(*) from link_records where list_contains(?, record_id)", [ids]).fetchall() == [(0,)]
    assert queue.read_text() == "pair_id,record_key_l,record_key_r,decision\nRP2,other,another,\n"
