"""The operator's CLI: backfill, status and rollback on real nightly runs through Airflow, and their clear errors.

The runs build on the session's nightly runs (``first_run`` in conftest): a backfill of three nights
after them, where the second night's police file breaks its contract, runs the first two in
order and stops at the second; status then reports them, and rollback swaps the two
published versions back and forth.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pendulum
import pytest

from youth_safety.checksums import table_checksums
from youth_safety.config import SOURCES, TIMEZONE, Settings
from youth_safety.status import published_night
from youth_safety.warehouse import connect

from nightly_fixtures import NEXT

CLI = Path(sys.executable).parent / "youth-safety"
FIRST, BROKEN, NEVER = (NEXT + timedelta(days=n) for n in (1, 2, 3))
VERSION_SCHEMAS = ("audit", "linkage", "marts", "published")  # what a night changes, even one that loads nothing


def run_in(home, *args: str) -> subprocess.CompletedProcess:
    """The CLI on another data home (an empty one, for the errors)."""
    env = {**os.environ, "YOUTH_SAFETY_HOME": str(home)}
    return subprocess.run([str(CLI), *args], capture_output=True, text=True, stdin=subprocess.DEVNULL, env=env)


@pytest.fixture(scope="module")
def backfilled(airflow_settings, first_run, cli):
    """Backfill FIRST..NEVER with a police file of BROKEN missing its columns: FIRST runs, BROKEN fails, NEVER is not run."""
    bad = airflow_settings.landing_night_dir("police", BROKEN.isoformat()) / f"crimes_{BROKEN:%Y%m%d}.csv"
    bad.parent.mkdir(parents=True, exist_ok=True)
    bad.write_text("crime_ref\nC1\n")
    return cli("backfill", "--from", FIRST.isoformat(), "--to", NEVER.isoformat())


def test_backfill_runs_nights_in_order_and_stops_at_the_first_failed_night(airflow_settings, backfilled):
    assert backfilled.returncode == 1, backfilled.stdout + backfilled.stderr
    assert f"police/{BROKEN}/crimes_{BROKEN:%Y%m%d}.csv rejected under FILE-COLUMNS" in backfilled.stderr
    assert f"backfill stopped at night {BROKEN}" in backfilled.stderr
    assert f"`youth-safety backfill --from {BROKEN} --to {NEVER}`" in backfilled.stderr
    assert f"{FIRST}: " in backfilled.stdout  # the night that went through, one line
    with connect(airflow_settings.warehouse_path, read_only=True) as con:
        recorded = con.execute("select night, max(recorded_at) from audit.run_summaries where night > ? group by night order by 2",
                               [NEXT]).fetchall()
    assert [night for night, _ in recorded] == [FIRST, BROKEN]  # in order, one at a time; NEVER not run


def landed_identifiers(settings: Settings) -> set[str]:
    found = set()
    for path in settings.landing_dir.rglob("*.csv"):
        with open(path, newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                for column in ("upn", "pers_upn", "pnc_id", "postcode", "pers_postcode", "pupil_id", "yot_id", "pers_person_id"):
                    if len(row.get(column) or "") >= 5:
                        found.add(row[column])
    return found


def test_status_shows_nights_freshness_gate_failures_late_sources_publishes_and_alerts(airflow_settings, backfilled, cli):
    done = cli("status", "--nights", "2")
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "Build in progress: none" in out
    nights = re.findall(r"^  (\d{4}-\d\d-\d\d)  Airflow (\w+)", out, re.MULTILINE)
    assert nights == [(FIRST.isoformat(), "success"), (BROKEN.isoformat(), "failed")]
    broken = next(line for line in out.splitlines() if line.startswith(f"  {BROKEN}"))
    assert "held back: police" in broken and "health late, missing" in broken  # no folder of health that night
    assert f"{BROKEN}  police/{BROKEN}/crimes_{BROKEN:%Y%m%d}.csv  FILE-COLUMNS: " in out
    today = pendulum.today(TIMEZONE).date()
    with connect(airflow_settings.warehouse_path, read_only=True) as con:
        latest = dict(con.execute("select source, max(extract_night) from audit.file_loads where status = 'loaded' group by source").fetchall())
    for source in SOURCES:
        assert re.search(rf"^  {source} +{latest[source]} +{(today - latest[source]).days} day\(s\)$", out, re.MULTILINE), source
    assert len(re.findall(r"^  \S+  publish  night \d{4}-\d\d-\d\d  partnership_nightly/", out, re.MULTILINE)) >= 3
    assert re.search(rf"partnership_nightly night {BROKEN}  gates_passed failed: night {BROKEN}: held back by a rejected file: police", out)
    assert not re.search(r"PK\d{5,}", out)  # no person key
    assert [i for i in landed_identifiers(airflow_settings) if i in out] == []


def test_rollback_restores_the_previous_night_and_a_second_rollback_restores_the_latest(airflow_settings, backfilled, cli):
    published, previous = airflow_settings.published_warehouse_path, airflow_settings.previous_warehouse_path
    assert published_night(published)[0] == BROKEN and published_night(previous)[0] == FIRST
    broken_night, first_night = table_checksums(published, VERSION_SCHEMAS), table_checksums(previous, VERSION_SCHEMAS)
    assert broken_night != first_night

    done = cli("rollback")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"is now the version of night {FIRST}" in done.stdout and "again to undo" in done.stdout
    assert table_checksums(published, VERSION_SCHEMAS) == first_night and table_checksums(previous, VERSION_SCHEMAS) == broken_night

    done = cli("rollback")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"is now the version of night {BROKEN}" in done.stdout
    assert table_checksums(published, VERSION_SCHEMAS) == broken_night and table_checksums(previous, VERSION_SCHEMAS) == first_night


def test_errors_name_the_problem_and_exit_1(tmp_path, cli):
    done = run_in(tmp_path, "status")
    assert done.returncode == 1 and "no published warehouse at" in done.stderr and "youth-safety run" in done.stderr
    done = run_in(tmp_path, "rollback")
    assert done.returncode == 1 and "rollback: no previous version at" in done.stderr
    done = run_in(tmp_path, "backfill", "--from", "2025-01-03", "--to", "2025-01-01")
    assert done.returncode == 1 and "--from 2025-01-03 is after --to 2025-01-01; nothing run" in done.stderr
    done = run_in(tmp_path, "backfill", "--from", "2024-01-01", "--to", "2025-12-31")
    assert done.returncode == 1 and "731 nights, more than 400; pass --yes" in done.stderr
    done = run_in(tmp_path, "run", "--date", "2025-01-01")
    assert done.returncode == 1 and "run `youth-safety airflow-init` first" in done.stderr
