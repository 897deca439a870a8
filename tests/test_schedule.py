"""The nightly schedule: 02:00 in London every day, through both daylight-saving changes."""

from __future__ import annotations

from datetime import date, timedelta

import pendulum
import pytest
from airflow.dag_processing.dagbag import DagBag
from airflow.serialization.encoders import coerce_to_core_timetable
from airflow.timetables.base import DataInterval, TimeRestriction

from youth_safety.airflow_env import DAGS_DIR
from youth_safety.config import TIMEZONE


def run_times(first: date, last: date) -> list[pendulum.DateTime]:
    """Every scheduled run between two days, as the scheduler would compute them one by one."""
    timetable = coerce_to_core_timetable(DagBag(dag_folder=DAGS_DIR).dags["partnership_nightly"].timetable)  # as the scheduler sees it
    restriction = TimeRestriction(earliest=pendulum.datetime(first.year, first.month, first.day, tz=TIMEZONE), latest=None, catchup=True)
    runs, previous = [], None
    while True:
        info = timetable.next_dagrun_info(last_automated_data_interval=previous, restriction=restriction)
        if info.run_after.in_timezone(TIMEZONE).date() > last:
            return runs
        runs.append(info.run_after)
        previous = DataInterval(info.data_interval.start, info.data_interval.end)


@pytest.mark.parametrize(("change", "utc_hour_before", "utc_hour_after"), [(date(2026, 3, 29), 2, 1), (date(2026, 10, 25), 1, 2)])
def test_one_run_a_night_at_two_in_london_across_a_clock_change(change, utc_hour_before, utc_hour_after):
    runs = run_times(change - timedelta(days=3), change + timedelta(days=3))
    london = [r.in_timezone(TIMEZONE) for r in runs]
    assert [t.date() for t in london] == [change + timedelta(days=n) for n in range(-3, 4)]  # one a night, none missed
    assert {(t.hour, t.minute) for t in london} == {(2, 0)}
    utc_hours = [r.in_timezone("UTC").hour for r in runs]
    assert utc_hours[:3] == [utc_hour_before] * 3 and utc_hours[-3:] == [utc_hour_after] * 3
