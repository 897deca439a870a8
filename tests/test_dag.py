"""The nightly DAG: it parses cleanly, and real ``airflow dags test`` runs load every landed row once."""

from __future__ import annotations

import csv
import json
from collections import Counter
from datetime import date

from airflow.dag_processing.dagbag import DagBag
from airflow.sdk import CronTriggerTimetable

from youth_safety.airflow_env import DAGS_DIR
from youth_safety.alerts import alert_on_failure
from youth_safety.config import ARRIVAL_POLL_SECONDS, SOURCES, TIMEZONE, WAREHOUSE_WRITER_POOL, Settings
from youth_safety.checksums import table_checksums
from youth_safety.contracts import contracts_for, get_contract
from youth_safety.summary import raw_row_counts, read_summary
from youth_safety.warehouse import connect

from nightly_fixtures import END, NEXT, person_keys


def test_dag_folder_imports_cleanly_with_the_schedule_and_pool():
    bag = DagBag(dag_folder=DAGS_DIR, known_pools={"default_pool", WAREHOUSE_WRITER_POOL})
    assert bag.import_errors == {}
    assert bag.dag_warnings == set()
    dag = bag.dags["partnership_nightly"]
    assert dag.timetable == CronTriggerTimetable("0 2 * * *", timezone=TIMEZONE)
    assert dag.timezone.name == TIMEZONE
    assert (dag.catchup, dag.max_active_runs) == (False, 1)
    writers = dict.fromkeys(("prepare", "load", "link", "dbt_build", "score", "summarise", "publish", "report"), WAREHOUSE_WRITER_POOL)
    assert {t.task_id: t.pool for t in dag.tasks} == writers | {"wait_for_files": "default_pool", "gates_passed": "default_pool"}
    assert {t.task_id for t in dag.tasks if t.trigger_rule == "all_done"} == {"prepare", "link", "dbt_build", "score", "summarise", "report"}
    waits = dag.get_task("wait_for_files")
    assert (waits.partial_kwargs["mode"], waits.partial_kwargs["poke_interval"]) == ("reschedule", ARRIVAL_POLL_SECONDS)  # frees its worker between checks
    assert dag.get_task("prepare").upstream_task_ids == {"wait_for_files"}
    assert dag.get_task("load").upstream_task_ids == {"wait_for_files", "prepare"}
    assert dag.get_task("score").upstream_task_ids == {"dbt_build"}
    assert dag.get_task("summarise").upstream_task_ids == {"score"}
    publish = dag.get_task("publish")  # all_success: only a whole build is published
    assert (publish.trigger_rule, publish.upstream_task_ids) == ("all_success", {"prepare", "link", "dbt_build", "score", "summarise"})
    assert dag.get_task("gates_passed").upstream_task_ids == {"link", "dbt_build", "score", "summarise", "publish"}
    assert sorted(t.task_id for t in dag.tasks if not t.downstream_task_ids) == ["gates_passed", "report"]
    for each in bag.dags.values():  # transient errors retried with back-off; a task failing for good alerts
        for t in each.tasks:
            callbacks = t.on_failure_callback if isinstance(t.on_failure_callback, list) else [t.on_failure_callback]
            assert t.retries == 2 and t.retry_exponential_backoff and alert_on_failure in callbacks, t.task_id


def test_weekly_models_dag_trains_on_sunday_mornings_then_writes_cards_and_reports_decisions():
    bag = DagBag(dag_folder=DAGS_DIR, known_pools={"default_pool", WAREHOUSE_WRITER_POOL})
    dag = bag.dags["partnership_models"]
    assert dag.timetable == CronTriggerTimetable("0 5 * * 0", timezone=TIMEZONE)
    assert dag.timezone.name == TIMEZONE
    assert (dag.catchup, dag.max_active_runs) == (False, 1)
    assert {t.task_id: t.pool for t in dag.tasks} == {"train": WAREHOUSE_WRITER_POOL, "cards": WAREHOUSE_WRITER_POOL,
                                                      "report_decisions": "default_pool"}
    assert dag.get_task("cards").upstream_task_ids == {"train"}
    assert dag.get_task("report_decisions").upstream_task_ids == {"cards"}


def landed_rows(settings: Settings, night: date) -> Counter:
    """Data rows per source over the files landed up to a night (one file per extract and night)."""
    counts = Counter(dict.fromkeys(SOURCES, 0))
    for path in settings.landing_dir.glob("*/*/*.csv"):
        if date.fromisoformat(path.parent.name) <= night:
            with open(path, newline="", encoding="utf-8") as fh:
                counts[path.parent.parent.name] += sum(1 for _ in csv.reader(fh)) - 1
    return counts


def raw_rows(settings: Settings) -> Counter:
    with connect(settings.warehouse_path, read_only=True) as con:
        return Counter(raw_row_counts(con))


def audit_totals(settings: Settings) -> dict[str, tuple[int, int, int, int]]:
    """Per source: rows received, loaded, quarantined and excluded over every loaded file."""
    with connect(settings.warehouse_path, read_only=True) as con:
        rows = con.execute(
            "select source, sum(rows_received), sum(rows_loaded), sum(rows_quarantined), sum(rows_excluded) "
            "from audit.file_loads where status = 'loaded' group by source").fetchall()
    return {source: tuple(int(n) for n in counts) for source, *counts in rows}


def test_nightly_run_conserves_every_landed_row(airflow_settings, generated, first_run):
    landed = landed_rows(airflow_settings, END)
    totals = audit_totals(airflow_settings)
    assert sum(landed.values()) > 0
    for source in SOURCES:
        received, loaded, quarantined, excluded = totals[source]
        assert received == landed[source], source  # every landed row was judged
        assert received == loaded + quarantined + excluded, source  # and is loaded, quarantined or excluded
    assert raw_rows(airflow_settings) == Counter({s: t[1] for s, t in totals.items()})
    assert sum(t[2] for t in totals.values()) > 0  # the generator's planted mess is held back
    summary = read_summary(airflow_settings, END)
    assert sum(s.files_loaded + s.files_skipped for s in summary.loads) == generated.files
    assert all(s.status == "published" for s in summary.loads)
    assert "raw rows" in first_run.stdout and str(airflow_settings.warehouse_path) in first_run.stdout
    assert (airflow_settings.reports_dir / f"data_quality_{END}.html").exists()


def test_planted_mess_is_quarantined_under_the_right_rules(airflow_settings, first_run):
    """Invalid codes and duplicated rows the generator logged appear in quarantine at their rows."""
    import pandas as pd

    mess = pd.read_csv(airflow_settings.truth_dir / "mess.csv", dtype=str, keep_default_na=False)
    planted = mess[mess["kind"].isin(["invalid_code", "duplicate_row"])]
    with connect(airflow_settings.warehouse_path, read_only=True) as con:
        held = {(f, int(r), c) for f, r, c in con.execute("select file_name, source_row_number, rule_code from audit.quarantine").fetchall()}
    expected_rule = {"invalid_code": "CON-CODE", "duplicate_row": "DUP-ROW"}
    assert len(planted) > 0
    for row in planted.itertuples():
        assert (row.file, int(row.row_number), expected_rule[row.kind]) in held, row


def test_second_run_of_the_same_night_adds_nothing(airflow_settings, generated, first_run, cli):
    before, marts = raw_rows(airflow_settings), table_checksums(airflow_settings.published_warehouse_path)
    done = cli("run", "--date", END.isoformat())
    assert done.returncode == 0, done.stdout + done.stderr
    assert raw_rows(airflow_settings) == before
    assert table_checksums(airflow_settings.published_warehouse_path) == marts  # every mart's contents, by checksum
    assert len(marts) > 20 and marts["marts.fct_person_events"][0] > 0
    summary = read_summary(airflow_settings, END)
    assert [s.files_loaded for s in summary.loads] == [0] * len(SOURCES)
    assert sum(s.files_skipped for s in summary.loads) == generated.files


def test_a_rejected_file_holds_back_its_source_and_fails_the_run_while_others_go_ahead(airflow_settings, first_run, cli):
    bad = airflow_settings.landing_night_dir("police", NEXT.isoformat()) / f"crimes_{NEXT:%Y%m%d}.csv"
    bad.parent.mkdir(parents=True)
    bad.write_text("crime_ref\nC1\n")
    referrals = get_contract("health", "semh_referrals")
    good = airflow_settings.landing_night_dir("health", NEXT.isoformat()) / referrals.file_name(NEXT.isoformat())
    good.parent.mkdir(parents=True)
    good.write_text(",".join(referrals.columns) + "\n" + ",".join(["x"] * len(referrals.columns)) + "\n")
    before = raw_rows(airflow_settings)

    done = cli("run", "--date", NEXT.isoformat())
    assert done.returncode == 1
    assert f"police/{NEXT}/crimes_{NEXT:%Y%m%d}.csv rejected under FILE-COLUMNS" in done.stderr
    assert raw_rows(airflow_settings) == before  # police held back; health's only row quarantined
    with connect(airflow_settings.warehouse_path, read_only=True) as con:
        judged = con.execute("select status, rows_quarantined from audit.file_loads where file_name = ?", [f"health/{NEXT}/{good.name}"])
        assert judged.fetchall() == [("loaded", 1)]
    summary = read_summary(airflow_settings, NEXT)  # dbt and the summary ran for the sources that went ahead
    assert {s.source: s.status for s in summary.loads}["police"] == "held"
    assert {s.source: s.status for s in summary.loads}["health"] == "published"
    alerts = [json.loads(line) for line in (airflow_settings.reports_dir / "alerts" / "alerts.jsonl").read_text().splitlines()]
    failed = {(a["night"], a["task"]) for a in alerts}  # the failure callback named the night and the tasks
    assert {(NEXT.isoformat(), "load"), (NEXT.isoformat(), "gates_passed")} <= failed, alerts
    assert any("FILE-COLUMNS" in a["reason"] for a in alerts)
    # past the cut-off, sources without every file of the night are reported late (the run went on without waiting)
    assert summary.late_sources == {"education": [c.extract for c in contracts_for("education")],
                                    "social_care": [c.extract for c in contracts_for("social_care")],
                                    "yos": [c.extract for c in contracts_for("yos")],
                                    "police": ["arrests", "involvements", "missing_reports"]}
    assert {a["task"] for a in alerts if a["kind"] == "late" and a["night"] == NEXT.isoformat()} == {
        f"wait_for_files[{source}]" for source in summary.late_sources}


def test_reports_exist_and_hold_no_identifier(airflow_settings, first_run):
    """The night's report, its CSV and the Data Docs carry none of the generator's identifiers."""
    import pandas as pd

    reports = airflow_settings.reports_dir
    assert (reports / "data-docs" / "index.html").exists()
    persons = pd.read_parquet(airflow_settings.truth_dir / "persons.parquet")
    identifiers = set(persons["nhs_number"]) | set(persons["forename"] + " " + persons["surname"])
    for path in airflow_settings.landing_dir.rglob("*.csv"):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        for column in ("upn", "pers_upn", "pnc_id", "postcode", "pers_postcode", "pupil_id", "yot_id", "pers_person_id"):
            if column in frame:
                identifiers |= set(frame[column]) - {""}
    texts = [p.read_text(errors="ignore") for p in reports.rglob("*") if p.is_file() and p.suffix in (".html", ".csv", ".json")]
    assert len(texts) > 3
    identifiers = {i for i in identifiers if len(i) >= 5}  # real identifiers, not another test's placeholder 'x'
    assert len(identifiers) > 1000
    found = [i for i in identifiers if any(i in text for text in texts)]
    assert found == []


def test_after_a_run_the_warehouse_and_reports_hold_no_direct_identifier_and_the_vault_does(airflow_settings, first_run):
    """The identifier scanner over every warehouse schema (raw, audit, staging, marts) and every report file."""
    import pandas as pd

    from youth_safety.privacy.scanner import scan
    from youth_safety.privacy.vault import connect_vault

    result = scan(airflow_settings)
    assert result.relations > 40 and result.report_files > 3 and result.identifiers > 1000
    assert result.hits == ()
    truth = pd.read_parquet(airflow_settings.truth_dir / "source_records.parquet")
    with connect_vault(airflow_settings, read_only=True) as vault:
        records = dict(vault.execute("select entity, count(*) from person_records group by entity").fetchall())
        named = vault.execute("select count(*) from person_records where forename is not null and dob is not null").fetchall()[0][0]
    delivered = truth[truth["entity"].isin(records)].groupby("entity").size().to_dict()
    assert records.keys() == {"pupil_id", "tracking_id", "pers_person_id", "yot_id", "involvement_id", "arrest_id", "report_id", "referral_id"}
    assert all(0.9 * delivered[e] <= records[e] <= delivered[e] for e in records), (records, delivered)
    assert named > 0.99 * sum(records.values())


def test_linkage_keys_every_record_and_a_second_night_keeps_existing_person_keys(airflow_settings, night_before, first_run):
    tonight = person_keys(airflow_settings)
    with connect(airflow_settings.warehouse_path, read_only=True) as con:
        changed_keys = {r[0] for r in con.execute(
            "select person_key from linkage.person_key_history where night = ? and event in ('merged', 'split', 'retired')", [END]).fetchall()}
        (run,) = con.execute("select records, people, pairwise_precision, pairwise_recall from linkage.runs where night = ?", [END]).fetchall()
        (marts,) = con.execute("select count(*), count(distinct person_key), count(sex_code) from marts.dim_person").fetchall()
    assert night_before and len(tonight) > len(night_before)  # tonight's new records were keyed too
    moved = {record for record, key in night_before.items() if tonight.get(record) != key}
    assert all(night_before[record] in changed_keys for record in moved), "a key changed without a history event"
    assert len(moved) <= 0.001 * len(night_before)
    assert set(night_before.values()) - set(tonight.values()) <= changed_keys  # no key vanished unexplained
    records, people, precision, recall = run
    assert records == len(tonight) and 0 < people < records
    assert marts[:2] == (people, people) and marts[2] > 0.99 * people  # dim_person: one row per person key
    assert precision > 0.95 and recall > 0.9  # measured on a small borough; scale-1 figures are in the README
    report = (airflow_settings.reports_dir / "linkage" / f"linkage_{END}.html").read_text()
    assert "precision" in report.lower()
    assert not list(airflow_settings.reports_dir.rglob("queue_*")), "the clerical review queue shows names: vault only"
