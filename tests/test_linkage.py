"""Record linkage: real Splink on real DuckDB vaults built from small hand-made record tables."""

from __future__ import annotations

import math
import re
import shutil
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from linkage_fixtures import Record, add, background, create_vault, record_key_of, truth
from youth_safety.linkage import (LinkageConfig, LinkageRun, evaluate, key_history, person_key_map, registry, run, train,
                                  write_report)
from youth_safety.linkage import workspace
from youth_safety.linkage.clustering import cluster
from youth_safety.linkage.keys import assign
from youth_safety.linkage.model import prediction_rules
from youth_safety.linkage.quality import score
from youth_safety.linkage.records import linkage_input, register_new_records
from youth_safety.linkage.schema import ensure_tables

NIGHT1, NIGHT2, NIGHT3 = date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 4)
NO_PAIRS = pd.DataFrame({"record_id_l": pd.Series(dtype="int64"), "record_id_r": pd.Series(dtype="int64")})

# Tallulah: three agencies joined only by shared identifiers; her health record's name and postcode differ.
TALLULAH = [
    Record("tallulah", "education", "P900001", "Tallulah", "Featherstonehaugh", date(2010, 6, 14), "F", "N1 7AB", upn="T900001U"),
    Record("tallulah", "social_care", "C900001", "Tallulah", "Featherstonehaugh", date(2010, 6, 14), "F", "N1 7AB",
           upn="T900001U", nhs_number="9900000001"),
    Record("tallulah", "health", "SR900001", "Lulu", "Smythe", date(2010, 6, 14), "F", "EC1V 9QQ", nhs_number="9900000001"),
]
# Jonathan: a police record with no identifier, a short form and a slip in the surname.
JONATHAN = [
    Record("jonathan", "education", "P900002", "Jonathan", "Aldersley", date(2009, 5, 14), "M", "N7 3QT", upn="J900002U"),
    Record("jonathan", "police", "V900002", "Jon", "Aldresley", date(2009, 5, 14), "M", "N7 3QT"),
]
# Two people with the same name, born years apart, living apart, no identifiers in common.
NAMESAKES = [
    Record("amara1", "education", "P900003", "Amara", "Pemberton", date(2008, 2, 11), "F", "N19 4DD", upn="A900003U"),
    Record("amara2", "police", "V900003", "Amara", "Pemberton", date(2012, 9, 23), "F", "EC1R 5HH"),
]
# Ptolemy's pupil record and a health record nothing on its own ties to him.
PTOLEMY = [
    Record("ptolemy", "education", "P900004", "Ptolemy", "Ashgrove", date(2011, 3, 9), "M", "N5 2QX", upn="P900004U"),
    Record("ptolemy", "health", "SR900004", "Tolly", "Wren", None, "M", None, nhs_number="9900000004"),
]
# ... until social care records a child holding both identifiers (a merge).
PTOLEMY_BRIDGE = Record("ptolemy", "social_care", "C900004", "Ptolemy", "Ashgrove", date(2011, 3, 9), "M", "N5 2QX",
                        upn="P900004U", nhs_number="9900000004")
# Cosima: three matching records, one of which is later corrected to someone else (a split).
COSIMA = [
    Record("cosima", "education", "P900005", "Cosima", "Wetherall", date(2011, 2, 3), "F", "N5 1AA", upn="C900005U"),
    Record("cosima", "social_care", "C900005", "Cosima", "Wetherall", date(2011, 2, 3), "F", "N5 1AA"),
    Record("bryony", "police", "V900005", "Cosima", "Wetherall", date(2011, 2, 3), "F", "N5 1AA"),
]
COSIMA_CORRECTED = Record("bryony", "police", "V900005", "Bryony", "Lockhart", date(2009, 10, 10), "F", "N19 4XX")
# Night two: a new record for Tallulah, and someone new.
TALLULAH_LATER = Record("tallulah", "health", "SR900006", "Tallulah", "Featherstonehaugh", date(2010, 6, 14), "F", "N4 1ZZ",
                        nhs_number="9900000001")
ZEPHYRINE = Record("zephyrine", "education", "P900007", "Zephyrine", "Quillfeather", date(2013, 12, 1), "F", "N4 3RR",
                   upn="Z900007U")

NIGHT1_RECORDS = TALLULAH + JONATHAN + NAMESAKES + PTOLEMY + COSIMA
NIGHT2_RECORDS = [PTOLEMY_BRIDGE, COSIMA_CORRECTED, TALLULAH_LATER, ZEPHYRINE]


def second_night(vault: duckdb.DuckDBPyConnection, home: Path, **options) -> LinkageRun:
    """Night two's deliveries, then its linkage run."""
    add(vault, NIGHT2_RECORDS, NIGHT2)
    return run(vault, home, NIGHT2, **options)


def keys_of(vault: duckdb.DuckDBPyConnection, records: list[Record]) -> list[str]:
    keyed = person_key_map(vault).set_index(["source", "entity", "record_key"])["person_key"]
    return [keyed[(r.source, r.entity, r.record_key)] for r in records]


@pytest.fixture(scope="module")
def first_night(tmp_path_factory) -> tuple[Path, Path]:
    """A vault after night one (background plus the hand-made people), trained once for the module."""
    folder = tmp_path_factory.mktemp("linkage")
    vault = create_vault(folder / "vault.duckdb")
    add(vault, background() + NIGHT1_RECORDS, NIGHT1)
    first = run(vault, folder / "home", NIGHT1)
    assert first.trained and first.full
    vault.close()
    return folder / "vault.duckdb", folder / "home"


@pytest.fixture
def night1(first_night, tmp_path) -> tuple[duckdb.DuckDBPyConnection, Path]:
    """A private copy of the night-one vault and home for one test."""
    vault_path, home = first_night
    shutil.copy(vault_path, tmp_path / "vault.duckdb")
    shutil.copytree(home, tmp_path / "home")
    vault = duckdb.connect(str(tmp_path / "vault.duckdb"))
    yield vault, tmp_path / "home"
    vault.close()


def test_shared_identifiers_join_records_across_sources_whatever_the_names(night1):
    vault, _ = night1
    assert len(set(keys_of(vault, TALLULAH))) == 1


def test_short_form_and_slip_link_probabilistically_without_identifiers(night1):
    vault, _ = night1
    assert len(set(keys_of(vault, JONATHAN))) == 1


def test_namesakes_born_years_apart_are_different_people(night1):
    vault, _ = night1
    first, second = keys_of(vault, NAMESAKES)
    assert first != second


def test_keys_are_short_sequence_numbers_not_derived_from_identifiers(night1):
    vault, _ = night1
    keys = person_key_map(vault)
    assert keys["person_key"].str.fullmatch(r"PK\d{7}").all()
    numbers = sorted(keys["person_key"].str.slice(2).astype(int).unique())
    assert numbers == list(range(1, len(numbers) + 1))
    assert set(key_history(vault)["event"]) == {"created"}


def test_keys_stay_stable_over_incremental_nights_and_new_people_get_new_keys(night1):
    vault, home = night1
    before = person_key_map(vault).set_index(["source", "entity", "record_key"])["person_key"]
    second = second_night(vault, home)
    assert not second.full and second.new_records == 3
    assert second.scored_records == 4  # three new records and the corrected one
    after = person_key_map(vault).set_index(["source", "entity", "record_key"])["person_key"]
    untouched = [r for r in background() + TALLULAH + JONATHAN + NAMESAKES + COSIMA[:2]]
    assert keys_of(vault, untouched) == [before[(r.source, r.entity, r.record_key)] for r in untouched]
    assert keys_of(vault, [TALLULAH_LATER]) == keys_of(vault, TALLULAH[:1])
    (zephyrine,) = keys_of(vault, [ZEPHYRINE])
    assert zephyrine not in set(before)
    assert int(zephyrine[2:]) > max(int(k[2:]) for k in before)
    assert len(after) == len(before) + 3


def test_merge_keeps_the_oldest_key_retires_the_other_and_never_reuses_it(night1):
    vault, home = night1
    pupil, health = keys_of(vault, PTOLEMY)
    assert pupil != health
    second = second_night(vault, home)
    survivor = min(pupil, health, key=lambda k: int(k[2:]))
    retired = max(pupil, health, key=lambda k: int(k[2:]))
    assert set(keys_of(vault, PTOLEMY + [PTOLEMY_BRIDGE])) == {survivor}
    history = key_history(vault)
    tonight = history[history["night"] == pd.Timestamp(NIGHT2)]
    merged = tonight[tonight["event"] == "merged"]
    assert merged[["person_key", "related_key", "moved_records"]].values.tolist() == [[survivor, retired, 1]]
    assert tonight[(tonight["event"] == "retired") & (tonight["person_key"] == retired)]["related_key"].tolist() == [survivor]
    assert second.merges == 1
    run(vault, home, NIGHT3, full=True)
    assert retired not in set(person_key_map(vault)["person_key"])


def test_split_gives_the_part_split_off_a_new_key_and_records_it(night1):
    vault, home = night1
    assert len(set(keys_of(vault, COSIMA))) == 1
    (cosima,) = set(keys_of(vault, COSIMA))
    second = second_night(vault, home)
    assert set(keys_of(vault, COSIMA[:2])) == {cosima}
    (bryony,) = keys_of(vault, [COSIMA_CORRECTED])
    assert bryony != cosima
    history = key_history(vault)
    split = history[(history["night"] == pd.Timestamp(NIGHT2)) & (history["event"] == "split")]
    assert split[["person_key", "related_key", "moved_records", "records"]].values.tolist() == [[bryony, cosima, 1, 1]]
    assert second.splits == 1


def test_full_rerun_gives_the_same_keys_and_no_key_changes(night1):
    vault, home = night1
    second_night(vault, home)
    before = person_key_map(vault)
    again = run(vault, home, NIGHT3, full=True)
    assert again.full and again.scored_records == again.records
    pd.testing.assert_frame_equal(person_key_map(vault), before)
    history = key_history(vault)
    assert history[history["night"] == pd.Timestamp(NIGHT3)].empty


def test_model_is_trained_once_then_loaded_and_the_same_seed_gives_the_same_json(night1, tmp_path):
    vault, home = night1
    model_file = home / "linkage" / "models" / "v0001.json"
    saved = model_file.read_bytes()
    second = second_night(vault, home)
    assert not second.trained and second.model_version == "v0001"
    assert [v.version for v in registry.versions(home)] == ["v0001"]
    assert model_file.read_bytes() == saved
    assert vault.execute("select count(*) from link_model_versions").fetchall() == [(1,)]
    entry = registry.current(home)
    assert entry.records == len(background()) + len(NIGHT1_RECORDS) and entry.trained_night == NIGHT1.isoformat()
    fresh = create_vault(tmp_path / "fresh.duckdb")
    add(fresh, background() + NIGHT1_RECORDS, NIGHT1)
    assert train(fresh, tmp_path / "fresh_home", NIGHT1) == "v0001"
    assert (tmp_path / "fresh_home" / "linkage" / "models" / "v0001.json").read_bytes() == saved


def test_a_vault_built_anew_is_trained_for_rather_than_scored_with_a_model_it_lacks(night1, tmp_path):
    _, home = night1
    fresh = create_vault(tmp_path / "fresh.duckdb")
    add(fresh, background() + NIGHT1_RECORDS, NIGHT1)
    first = run(fresh, home, NIGHT1)
    assert first.trained and first.model_version == "v0002"
    assert len(set(keys_of(fresh, TALLULAH))) == 1


def test_retrain_makes_a_new_version_and_rescores_everyone(night1):
    vault, home = night1
    again = second_night(vault, home, retrain=True)
    assert again.trained and again.full and again.model_version == "v0002"
    assert registry.current(home).version == "v0002"
    assert vault.execute("select distinct model_version from link_pairs").fetchall() == [("v0002",)]


def _pair_id(queue: pd.DataFrame, a: Record, b: Record) -> str:
    rows = queue[((queue["record_key_l"] == a.record_key) & (queue["record_key_r"] == b.record_key))
                 | ((queue["record_key_l"] == b.record_key) & (queue["record_key_r"] == a.record_key))]
    assert len(rows) == 1
    return rows["pair_id"].iloc[0]


def test_reviewers_decisions_force_and_forbid_links_and_leave_the_queue(night1):
    vault, home = night1
    review_everything = LinkageConfig(threshold=1.01)  # no automatic links: every scored pair goes to the queue
    queued = second_night(vault, home, full=True, config=review_everything)
    queue = pd.read_csv(queued.queue_path, dtype=str, keep_default_na=False)
    assert {"pair_id", "match_probability", "forename_l", "dob_r", "record_key_r", "decision"} <= set(queue.columns)
    assert (queue["decision"] == "").all() and queue["pair_id"].is_unique
    jonathan = _pair_id(queue, *JONATHAN)
    cosima = _pair_id(queue, COSIMA[0], COSIMA[1])
    decisions = pd.DataFrame([[jonathan, "no_match", "reviewer.a", "2026-03-03T10:00:00"],
                              [cosima, "Match", "reviewer.b", "2026-03-03T10:05:00"]],
                             columns=["pair_id", "decision", "decided_by", "decided_at"])
    decisions.to_csv(home / "vault" / "review" / "decisions.csv", index=False)
    decided = run(vault, home, NIGHT3)  # back to the usual threshold
    assert decided.decisions_read == 2
    first, second = keys_of(vault, JONATHAN)
    assert first != second  # would link automatically, but a reviewer said no
    assert len(set(keys_of(vault, COSIMA[:2]))) == 1
    left = pd.read_csv(decided.queue_path, dtype=str, keep_default_na=False)
    assert not {jonathan, cosima} & set(left["pair_id"])
    assert run(vault, home, date(2026, 3, 5)).decisions_read == 0  # the same file again: nothing new
    assert len(set(keys_of(vault, JONATHAN))) == 2


# William's school record, and police records of him with the mess agencies make: one mess each, then two at once.
WILLIAM = Record("william", "education", "P900010", "William", "Roberts", date(2008, 3, 7), "M", "N7 8AB")
MESSY_WILLIAMS = {
    "forename slip": ("Wlliam", "Roberts", date(2008, 3, 7), "N1 2CD"),
    "short form, another initial": ("Bill", "Roberts", date(2008, 3, 7), "N1 2CD"),
    "surname slip": ("William", "Robrets", date(2008, 3, 7), "N1 2CD"),
    "day and month swapped": ("William", "Roberts", date(2008, 7, 3), "N1 2CD"),
    "year mistyped": ("William", "Roberts", date(2009, 3, 7), "N1 2CD"),
    "no postcode": ("William", "Roberts", date(2008, 3, 7), None),
    "short form and surname slip": ("Will", "Robrets", date(2008, 3, 7), "N1 2CD"),
    "forename slip and swap": ("Wlliam", "Roberts", date(2008, 7, 3), "N1 2CD"),
    "surname slip and swap": ("William", "Robrets", date(2008, 7, 3), "N1 2CD"),
    "short form, another initial, and swap at home": ("Bill", "Roberts", date(2008, 7, 3), "N7 8AB"),
}
# Namesakes: the same name born in another year and living elsewhere; one of the same age and initial elsewhere.
NOT_WILLIAM = {
    "namesake born apart": ("William", "Roberts", date(2003, 11, 20), "EC1V 9QQ"),
    "same birthday, other names": ("Kwame", "Mensah", date(2008, 3, 7), "EC1V 9QQ"),
}


def test_blocking_makes_candidates_of_a_persons_messy_records_but_not_of_namesakes_born_apart(tmp_path):
    vault = create_vault(tmp_path / "vault.duckdb")
    ensure_tables(vault)
    others = {label: Record(label, "police", f"V9{i:05d}", *fields[:3], "M", fields[3])
              for i, (label, fields) in enumerate({**MESSY_WILLIAMS, **NOT_WILLIAM}.items())}
    add(vault, [WILLIAM, *others.values()], NIGHT1)
    register_new_records(vault, NIGHT1)
    vault.register("blocked", linkage_input(vault))
    any_rule = " or ".join(f"({rule.get_blocking_rule('duckdb').blocking_rule_sql})" for rule in prediction_rules())
    candidates = {key for (key,) in vault.execute(f"""
        select kr.record_key from blocked l join blocked r on l.unique_id <> r.unique_id and ({any_rule})
        join link_records kl on kl.record_id = l.unique_id join link_records kr on kr.record_id = r.unique_id
        where kl.record_key = ?""", [WILLIAM.record_key]).fetchall()}
    assert {label for label, record in others.items() if record.record_key in candidates} == set(MESSY_WILLIAMS)


def test_scored_links_never_join_people_with_different_nhs_numbers_or_a_reviewers_no():
    held = pd.DataFrame({"record_id": [1, 2, 3], "role": ["nhs_number"] * 3, "value": ["A", "A", "B"]})
    forced = pd.DataFrame({"record_id_l": [1], "record_id_r": [2]})
    scored = pd.DataFrame({"record_id_l": [2, 4, 5], "record_id_r": [3, 5, 6], "match_probability": [0.999, 0.999, 0.99]})
    no_match = pd.DataFrame({"record_id_l": [4], "record_id_r": [6]})
    people = cluster(np.arange(1, 7), forced, scored, held, no_match)
    assert people.cluster.to_dict() == {1: 1, 2: 1, 3: 3, 4: 4, 5: 4, 6: 6}
    assert people.refused == 2
    chained = cluster(np.arange(1, 7), forced, scored, held.iloc[:0], NO_PAIRS)
    assert chained.cluster.nunique() == 2 and chained.refused == 0  # without the guards the chains close


def test_key_assignment_merges_into_the_oldest_key_and_gives_split_parts_new_keys():
    previous = pd.Series(["PK0000001", "PK0000001", "PK0000002", "PK0000002", "PK0000002"], index=[1, 2, 3, 4, 5])
    clusters = pd.Series([1, 1, 1, 1, 5, 6], index=[1, 2, 3, 4, 5, 6])
    result = assign(clusters, previous, last_value=2, night=NIGHT2)
    assert result.keys.to_dict() == {1: "PK0000001", 2: "PK0000001", 3: "PK0000001", 4: "PK0000001",
                                     5: "PK0000003", 6: "PK0000004"}
    assert result.last_value == 4
    events = sorted(map(tuple, result.history[["event", "person_key", "related_key", "records", "moved_records"]]
                        .astype(object).where(result.history.notna(), None).values.tolist()))
    assert events == [("created", "PK0000003", None, 1, 0), ("created", "PK0000004", None, 1, 0),
                      ("merged", "PK0000001", "PK0000002", 4, 2), ("retired", "PK0000002", "PK0000001", 0, 2),
                      ("split", "PK0000003", "PK0000002", 1, 1)]


def test_quality_measures_match_a_hand_worked_example():
    # Truth: A = {r1 edu, r2 pol, r3 pol}, B = {r4 edu, r5 pol}. Linked: K1 = {r1, r2}, K2 = {r3, r4, r5}.
    # Linked pairs: K1 1 + K2 3 = 4. True pairs: A 3 + B 1 = 4. Both: (r1,r2) and (r4,r5) = 2.
    # Precision 2/4, recall 2/4. Education-police: linked (r1,r2) (r4,r3) (r4,r5) = 3, true (r1,r2) (r1,r3)
    # (r4,r5) = 3, both 2. Police-police: linked (r3,r5), true (r2,r3), both none. Education-education: no pairs.
    # Complete: B only (A is split) = 1/2. Pure: K1 only = 1/2.
    joined = pd.DataFrame({"source": ["education", "police", "police", "education", "police"],
                           "person_key": ["K1", "K1", "K2", "K2", "K2"], "person_id": ["A", "A", "A", "B", "B"]})
    quality = score(joined)
    assert (quality.overall["precision"], quality.overall["recall"], quality.overall["f1"]) == (0.5, 0.5, 0.5)
    by_pair = quality.by_source_pair.set_index(["source_a", "source_b"])
    assert by_pair.loc[("education", "police"), ["precision", "recall", "agreed_pairs"]].tolist() == [2 / 3, 2 / 3, 2]
    assert by_pair.loc[("police", "police"), ["precision", "recall"]].tolist() == [0.0, 0.0]
    assert math.isnan(by_pair.loc[("education", "education"), "precision"])
    assert (quality.completeness, quality.purity) == (0.5, 0.5)
    assert (quality.records, quality.true_people, quality.predicted_people) == (5, 2, 2)


def test_evaluation_maps_plain_ids_to_record_keys_and_measures_the_vault(night1, tmp_path):
    vault, _ = night1
    records = background() + NIGHT1_RECORDS
    quality = evaluate(vault, truth(records, tmp_path / "truth.parquet"), record_key_of)
    assert quality.records == len(records)
    assert quality.true_people == len({r.person for r in records})
    assert quality.overall["recall"] > 0.9 and quality.overall["precision"] > 0.9
    assert quality.by_band["pairs"].sum() == vault.execute("select count(*) from link_pairs").fetchall()[0][0]


def test_report_is_written_offline_and_holds_no_identifier(night1, tmp_path):
    vault, home = night1
    tonight = second_night(vault, home)
    records = background() + NIGHT1_RECORDS + NIGHT2_RECORDS
    quality = evaluate(vault, truth(records, tmp_path / "truth.parquet"), record_key_of)
    path = write_report(home, quality, tonight)
    assert path == home / "reports" / "linkage" / "linkage_2026-03-03.html"
    html = path.read_text()
    assert "Match weights" in html and "m and u parameters" in html and "vegaEmbed" in html
    assert not re.search(r"""(src|href)=["']https?:""", html)
    values = {v for r in records for v in (r.forename, r.surname, r.postcode, r.upn, r.nhs_number, r.pnc_id, r.plain_id,
                                            r.record_key, r.dob and r.dob.isoformat()) if v}
    wanted = sorted((v for v in values | {v.upper() for v in values} if len(v) >= 4), key=len, reverse=True)
    assert re.findall(rf"(?<![\w-])({'|'.join(map(re.escape, wanted))})(?![\w-])", html) == []


def test_linkage_keeps_to_the_memory_cap_and_spills_beside_the_vault_only(night1, tmp_path, monkeypatch):
    vault, home = night1
    second_night(vault, home)
    before = person_key_map(vault)
    monkeypatch.setattr(workspace, "DUCKDB_MEMORY_LIMIT", "64MiB")
    linker = workspace.linker_for(linkage_input(vault), registry.load(home, registry.current(home)), workspace.spill_folder(vault))
    capped = linker._db_api.duckdb_con.execute(
        "select current_setting('memory_limit'), current_setting('temp_directory')").fetchall()[0]
    assert capped == ("64.0 MiB", str(tmp_path / "vault.duckdb.tmp"))  # identifiers spill only into the vault's folder
    again = run(vault, home, NIGHT3, full=True)  # the whole linkage again, inside the small cap
    assert again.full and again.scored_records == again.records
    pd.testing.assert_frame_equal(person_key_map(vault), before)
