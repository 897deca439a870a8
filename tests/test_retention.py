"""Retention: the purge removes every record past its period from every layer and keeps the rest,
the gate keeps purged records out of re-sent files, old landed files go to a private archive
without confusing the loader, and the retention DAG parses with its schedule and pool."""

from __future__ import annotations

import shutil
import stat
from datetime import date, timedelta

import pandas as pd
import pytest
from airflow.dag_processing.dagbag import DagBag
from airflow.sdk import CronTriggerTimetable

from privacy_fixtures import END, borough, copy_home, give_person_keys, run_cli
from youth_safety.airflow_env import DAGS_DIR
from youth_safety.config import SOURCES, TIMEZONE, WAREHOUSE_WRITER_POOL, Settings
from youth_safety.contracts import all_contracts, get_contract
from youth_safety.governance.register import landed_files_policy, register
from youth_safety.governance.retention import purge
from youth_safety.ingest import load_source
from youth_safety.privacy.layout import entity, person_reference
from youth_safety.privacy.vault import connect_vault
from youth_safety.warehouse import connect

# Extracts with no date of their own take their parent row's: (column, parent, parent key, parent date).
DATED_BY_PARENT = {
    "police.involvements": ("crime_ref", "police.crimes", "crime_ref", "committed_date"),
    "social_care.ssd_assessment_factors": ("cinf_assessment_id", "social_care.ssd_cin_assessments", "cina_assessment_id",
                                           "cina_assessment_start_date"),
}
AUDIT = ("audit.quarantine", "audit.gdpr_exclusions", "audit.rule_warnings")
PUPILS = get_contract("education", "pupils")
ATTAINMENT = get_contract("education", "attainment")
CRIMES = get_contract("police", "crimes")


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Settings:
    return borough(tmp_path_factory)


def dated_rows(settings: Settings) -> dict[str, pd.DataFrame]:
    """Every raw row (load id, row number) with its date: its record date, else its parent's, else its file's night."""
    with connect(settings.warehouse_path, read_only=True) as con:
        nights = con.execute("select distinct load_id, extract_night from audit.file_loads").df().set_index("load_id")["extract_night"]
        tables = {c.name: con.execute(f"select * from raw_{c.source}.{c.extract}").df() for c in all_contracts()}
    out = {}
    for contract in all_contracts():
        frame = tables[contract.name]
        own = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[us]")
        if contract.record_date:
            own = pd.to_datetime(frame[contract.record_date])
        elif contract.name in DATED_BY_PARENT:
            column, parent, key, parent_date = DATED_BY_PARENT[contract.name]
            dates = pd.to_datetime(tables[parent][parent_date]).groupby(tables[parent][key]).max()
            own = pd.Series(dates.reindex(frame[column]).to_numpy(), index=frame.index)
        day = own.fillna(pd.to_datetime(frame["_load_id"].map(nights))).dt.date
        out[contract.name] = pd.DataFrame({"row": list(zip(frame["_load_id"], frame["_source_row_number"])), "day": day})
    return out


def check_raw(before: dict[str, pd.DataFrame], settings: Settings, cutoff: date) -> tuple[int, int]:
    """Exactly the rows dated on or after the cutoff are left in every raw table; (rows purged, rows kept)."""
    after = dated_rows(settings)
    purged = kept = 0
    for name, rows in before.items():
        keep = rows[rows["day"] >= cutoff]
        assert sorted(after[name]["row"]) == sorted(keep["row"]), name
        purged, kept = purged + len(rows) - len(keep), kept + len(keep)
    return purged, kept


def audit_rows(settings: Settings, cutoff: date) -> dict[tuple[str, bool], int]:
    """Rows of each audit table, by whether their file's extract night is past the cutoff."""
    with connect(settings.warehouse_path, read_only=True) as con:
        return {(table, old): n for table in AUDIT for old, n in con.execute(f"""
            select f.extract_night < ?, count(*) from {table} t
            join (select distinct load_id, extract_night from audit.file_loads) f using (load_id) group by 1""", [cutoff]).fetchall()}


def purges(settings: Settings, night: date) -> dict[tuple[str, str], int]:
    with connect(settings.warehouse_path, read_only=True) as con:
        return {(layer, relation): n for layer, relation, n in con.execute(
            "select layer, relation, rows_removed from audit.purges where night = ?", [night]).fetchall()}


def test_the_purge_removes_every_record_past_retention_and_keeps_the_rest(base, tmp_path):
    settings, night, cutoff = copy_home(base, tmp_path / "home"), date(2035, 1, 1), date(2023, 1, 1)
    assert {p.retention_years for p in register().values()} == {12}
    before = dated_rows(settings)

    done = purge(settings, night)

    purged, kept = check_raw(before, settings, cutoff)
    assert purged > 1000 and kept > 1000
    assert done.total("raw") == purged == sum(n for (layer, _), n in purges(settings, night).items() if layer == "raw")
    assert {layer for layer, _, _ in done.removed} == {"raw", "vault", "landing"}  # no file is that old: audit rows stay


def still_referred_to(settings: Settings) -> set[tuple[str, str, str]]:
    """Agency person records some raw row refers to."""
    found = set()
    with connect(settings.warehouse_path, read_only=True) as con:
        for c in all_contracts():
            if reference := person_reference(c):
                found |= {(c.source, entity(reference), r[0]) for r in con.execute(
                    f'select distinct "{reference.name}" from raw_{c.source}.{c.extract}').fetchall()}
    return found


def test_the_purge_command_clears_every_layer_and_nothing_comes_back(base, tmp_path):
    settings, night, cutoff = copy_home(base, tmp_path / "home"), date(2036, 6, 30), END
    give_person_keys(settings)
    before, audited = dated_rows(settings), audit_rows(settings, cutoff)
    with connect_vault(settings, read_only=True) as vault:
        records = {r[:3]: r[3] for r in vault.execute("select source, entity, record_key, last_seen_night from person_records").fetchall()}

    done = run_cli(settings, "purge", "--date", night.isoformat())
    assert done.returncode == 0, done.stderr
    assert "raw  raw_police.crimes" in done.stdout and "vault  main.person_records" in done.stdout and "dbt models rebuilt" in done.stdout

    purged, kept = check_raw(before, settings, cutoff)
    assert purged > 1000 and kept > 100  # the go-live history goes; the last night's snapshots stay
    after = audit_rows(settings, cutoff)
    assert audited.get(("audit.gdpr_exclusions", True), 0) > 0
    assert not any(old for _, old in after)  # no audit row of a file past retention
    assert after == {k: n for k, n in audited.items() if not k[1]}  # and every other one kept
    referred = still_referred_to(settings)
    gone = {r for r, seen in records.items() if seen < cutoff and r not in referred}
    with connect_vault(settings, read_only=True) as vault:
        left = set(vault.execute("select source, entity, record_key from person_records").fetchall())
        keyed = {table: set(vault.execute(f"select source, entity, record_key from {table}").fetchall())
                 for table in ("record_identifiers", "person_keys")}
    with connect(settings.warehouse_path, read_only=True) as con:
        keyed["linkage.person_keys"] = set(con.execute("select source, entity, record_key from linkage.person_keys").fetchall())
    assert gone and left == set(records) - gone
    assert all(found and found <= left for found in keyed.values())  # nothing keyed by a purged record, here or published
    assert {layer for layer, _ in purges(settings, night)} == {"raw", "audit", "linkage", "vault", "landing"}
    run_results = (settings.dbt_target_dir / "run_results.json").read_text()
    assert '"status": "success"' in run_results and '"status": "error"' not in run_results  # the models were rebuilt here

    assert list(settings.landing_dir.rglob("*.csv")) == []  # every judged file has left the landing zone
    archived = sorted(settings.archive_dir.rglob("*.csv"))
    assert len(archived) == len(all_contracts()) and {p.parent.name for p in archived} == {END.isoformat()}  # go-live files expired
    for source in SOURCES:  # the loader finds nothing new and misses nothing
        load = load_source(settings, source, night)
        assert (load.files_loaded, load.files_skipped, load.rows_received) == (0, 0, 0)
    resent = settings.landing_dir / archived[0].relative_to(settings.archive_dir)
    resent.parent.mkdir(parents=True)
    shutil.copy(archived[0], resent)  # the same file sent again is still known
    assert load_source(settings, resent.relative_to(settings.landing_dir).parts[0], night).files_skipped == 1

    history = pd.read_csv(base.landing_dir / "police" / "2024-06-29" / CRIMES.file_name("2024-06-29"), dtype=str, keep_default_na=False)
    late = history.iloc[[0]].assign(crime_ref="9999999/30", committed_date="2030-01-01", recorded_date="2030-01-02")
    again = settings.landing_night_dir("police", night.isoformat()) / CRIMES.file_name("2024-06-29")
    again.parent.mkdir(parents=True, exist_ok=True)
    pd.concat([history, late]).to_csv(again, index=False, lineterminator="\n")  # the go-live crimes re-sent with one more
    load = load_source(settings, "police", night)
    old = int((pd.to_datetime(history["committed_date"]).dt.date < cutoff).sum())
    assert old > 100 and (load.rows_excluded, load.rows_loaded) == (old, len(history) + 1 - old)
    with connect(settings.warehouse_path, read_only=True) as con:
        assert con.execute("select count(*) from raw_police.crimes where cast(committed_date as date) < ?", [cutoff]).fetchall() == [(0,)]
        assert con.execute("select count(*) from audit.gdpr_exclusions where rule_code = 'GDPR-RETENTION' and file_name = ?",
                           [str(again.relative_to(settings.landing_dir))]).fetchall() == [(old,)]


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_old_landed_files_move_to_a_private_archive_and_the_loader_stays_consistent(settings, land):
    policy = landed_files_policy()
    assert policy.then == "archive"
    d1 = date(2024, 3, 1)
    night = d1 + timedelta(days=policy.keep_days + 1)
    edge = night - timedelta(days=policy.keep_days)
    old = land(PUPILS, d1, d1, 2)
    recent = land(PUPILS, edge, edge, 2)  # exactly keep_days old on the night: stays
    load_source(settings, "education", edge)
    waiting = land(ATTAINMENT, d1, d1, 1)  # landed late in an old folder, not judged yet: the loader still needs it

    done = purge(settings, night)

    archived = settings.archive_dir / old.relative_to(settings.landing_dir)
    assert not old.exists() and archived.read_bytes() and recent.exists() and waiting.exists()
    assert mode(archived) == 0o600 and {mode(d) for d in (settings.archive_dir, archived.parent.parent, archived.parent)} == {0o700}
    assert ("landing", "files archived", 1) in done.removed
    with connect(settings.warehouse_path, read_only=True) as con:
        moves = con.execute("select file_name, load_id is not null, action from audit.landed_file_moves").fetchall()
        pupils = con.execute("select count(*) from raw_education.pupils").fetchall()[0][0]
    assert moves == [("education/2024-03-01/pupils_20240301.csv", True, "archived")]

    load = load_source(settings, "education", night)  # only the waiting file is new; nothing archived is missed
    assert (load.files_loaded, load.files_skipped, load.rows_loaded) == (1, 1, 1)
    shutil.copy(archived, old)  # the archived file sent again
    load = load_source(settings, "education", night)
    assert (load.files_loaded, load.files_skipped) == (0, 3)
    with connect(settings.warehouse_path, read_only=True) as con:
        assert con.execute("select count(*) from raw_education.pupils").fetchall()[0][0] == pupils


def test_the_retention_dag_parses_with_its_schedule_and_pool():
    bag = DagBag(dag_folder=DAGS_DIR, known_pools={"default_pool", WAREHOUSE_WRITER_POOL})
    assert bag.import_errors == {} and bag.dag_warnings == set()
    dag = bag.dags["partnership_retention"]
    assert dag.timetable == CronTriggerTimetable("30 6 * * *", timezone=TIMEZONE)
    assert (dag.catchup, dag.max_active_runs) == (False, 1)
    assert {t.task_id: t.pool for t in dag.tasks} == dict.fromkeys(("prepare", "purge", "dbt_build", "publish"), WAREHOUSE_WRITER_POOL)
    chain = [dag.get_task(t).downstream_task_ids for t in ("prepare", "purge", "dbt_build", "publish")]
    assert chain == [{"purge"}, {"dbt_build"}, {"publish"}, set()]  # purged and rebuilt in the working copy, then published
