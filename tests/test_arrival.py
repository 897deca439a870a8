"""Waiting for a source's files: arrived when every extract of the night is in, late only after the cut-off."""

from __future__ import annotations

from datetime import date, timedelta

import pendulum

from youth_safety.config import ARRIVAL_CUTOFF, TIMEZONE
from youth_safety.contracts import contracts_for
from youth_safety.arrival import check_arrival, cutoff_for, late_sources, record_arrival
from youth_safety.warehouse import connect, ensure_schema

NIGHT = date(2025, 3, 30)  # the clocks go forward in London that morning


def test_the_cut_off_is_london_time_on_the_nights_day_whatever_the_offset():
    assert cutoff_for(NIGHT).in_timezone(TIMEZONE).time() == ARRIVAL_CUTOFF
    assert cutoff_for(NIGHT).utcoffset() == timedelta(hours=1)  # BST from 01:00 that day
    assert cutoff_for(NIGHT - timedelta(days=1)).utcoffset() == timedelta(0)


def test_a_source_waits_until_every_extract_lands_and_is_late_after_the_cut_off(settings, land):
    before, after = cutoff_for(NIGHT).subtract(minutes=1), cutoff_for(NIGHT).add(minutes=1)
    extracts = contracts_for("police")
    for contract in extracts[:-1]:
        land(contract, NIGHT, NIGHT, 1)
    land(extracts[-1], NIGHT, NIGHT - timedelta(days=1), 1)  # yesterday's file does not count for tonight
    waiting = check_arrival(settings, "police", NIGHT, now=before)
    assert (waiting.status, waiting.missing_extracts, waiting.done) == ("waiting", [extracts[-1].extract], False)
    late = check_arrival(settings, "police", NIGHT, now=after)
    assert (late.status, late.missing_extracts, late.done) == ("late", [extracts[-1].extract], True)
    land(extracts[-1], NIGHT, NIGHT, 1)
    arrived = check_arrival(settings, "police", NIGHT, now=before)
    assert (arrived.status, arrived.missing_extracts, arrived.done) == ("arrived", [], True)
    nothing = check_arrival(settings, "health", NIGHT, now=after)
    assert (nothing.status, nothing.missing_extracts) == ("late", [c.extract for c in contracts_for("health")])


def test_late_sources_are_recorded_per_run_and_a_re_check_replaces_the_line(settings):
    after = pendulum.datetime(2025, 3, 30, 6, tz=TIMEZONE)
    with connect(settings.warehouse_path) as con:
        ensure_schema(con)
        record_arrival(con, check_arrival(settings, "health", NIGHT, now=after), "run-1")
        record_arrival(con, check_arrival(settings, "yos", NIGHT, now=after), "run-1")
        record_arrival(con, check_arrival(settings, "yos", NIGHT, now=after), "run-1")  # a retried task
        assert late_sources(con, NIGHT, "run-1") == {"health": ["semh_referrals"],
                                                      "yos": [c.extract for c in contracts_for("yos")]}
        assert late_sources(con, NIGHT, "run-2") == {}
