"""The nightly DAG: it parses cleanly, and real ``airflow dags test`` runs load every landed row once."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import date, timedelta

import pytest
from airflow.dag_processing.dagbag import DagBag
from airflow.sdk import CronTriggerTimetable

from youth_safety.airflow_env import DAGS_DIR
from youth_safety.config import SOURCES, TIMEZONE, WAREHOUSE_WRITER_POOL, Settings
from youth_safety.contracts import get_contract
from youth_safety.summary import raw_row_counts, read_summary
from youth_safety.warehouse import connect

START, END = date(2024, 4, 1), date(2025, 3, 31)
NEXT = END + timedelta(days=1)


def test_dag_folder_imports_cleanly_with_the_schedule_and_pool():
    bag = DagBag(dag_folder=DAGS_DIR, known_pools={"default_pool", WAREHOUSE_WRITER_POOL})
    assert bag.import_errors == {}
    assert bag.dag_warnings == set()
    dag = bag.dags["partnership_nightly"]
    assert dag.timetable == CronTriggerTimetable("0 2 * * *", timezone=TIMEZONE)
    assert dag.timezone.name == TIMEZONE
    assert (dag.catchup, dag.max_active_runs) == (False, 1)
    assert {t.task_id: t.pool for t in dag.tasks} == dict.fromkeys(("load", "dbt_build", "summarise"), WAREHOUSE_WRITER_POOL)


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


@pytest.fixture(scope="module")
def generated(airflow_settings):
    from youth_safety.generator import generate

    return generate(airflow_settings, scale=0.05, seed=7, start=START, end=END, nightly_days=3)


@pytest.fixture(scope="module")
def first_run(airflow_settings, generated, cli):
    done = cli("nightly", "--date", END.isoformat())
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def test_nightly_run_loads_every_landed_row(airflow_settings, generated, first_run):
    expected = landed_rows(airflow_settings, END)
    assert sum(expected.values()) > 0
    assert raw_rows(airflow_settings) == expected
    summary = read_summary(airflow_settings, END)
    assert sum(s.files_loaded + s.files_skipped for s in summary.loads) == generated.files
    assert {s.source: s.rows_loaded for s in summary.loads} == expected
    assert "raw rows" in first_run.stdout and str(airflow_settings.warehouse_path) in first_run.stdout


def test_second_run_of_the_same_night_adds_nothing(airflow_settings, generated, first_run, cli):
    before = raw_rows(airflow_settings)
    done = cli("nightly", "--date", END.isoformat())
    assert done.returncode == 0, done.stdout + done.stderr
    assert raw_rows(airflow_settings) == before
    summary = read_summary(airflow_settings, END)
    assert [s.files_loaded for s in summary.loads] == [0] * len(SOURCES)
    assert sum(s.files_skipped for s in summary.loads) == generated.files


def test_a_failed_source_fails_the_run_but_not_the_other_sources(airflow_settings, first_run, cli):
    bad = airflow_settings.landing_night_dir("police", NEXT.isoformat()) / f"crimes_{NEXT:%Y%m%d}.csv"
    bad.parent.mkdir(parents=True)
    bad.write_text("crime_ref\nC1\n")
    referrals = get_contract("health", "semh_referrals")
    good = airflow_settings.landing_night_dir("health", NEXT.isoformat()) / referrals.file_name(NEXT.isoformat())
    good.parent.mkdir(parents=True)
    good.write_text(",".join(referrals.columns) + "\n" + ",".join(["x"] * len(referrals.columns)) + "\n")
    before = raw_rows(airflow_settings)

    done = cli("nightly", "--date", NEXT.isoformat())
    assert done.returncode == 1
    assert f"police/{NEXT}/crimes_{NEXT:%Y%m%d}.csv: header lacks required police.crimes column(s)" in done.stderr
    assert raw_rows(airflow_settings) == before + Counter(health=1)
    with connect(airflow_settings.warehouse_path, read_only=True) as con:
        loaded = con.execute("select count(*) from audit.file_loads where file_name = ?", [f"health/{NEXT}/{good.name}"])
        assert loaded.fetchone() == (1,)
    assert read_summary(airflow_settings, NEXT) is None  # dbt and the summary wait for a whole night
