"""Atomic publish on real DuckDB files: readers never see a build half-done, nothing written outside it is lost."""

from __future__ import annotations

import subprocess
import sys
import time

import duckdb
import pytest

from youth_safety.checksums import table_checksums
from youth_safety.config import Settings
from youth_safety.publish import Build, PublishError, history, prepare, publish, rollback, working_settings

NIGHT_1, NIGHT_2 = "partnership_nightly/night-1", "partnership_nightly/night-2"


def build_night(settings: Settings, owner: str, pupils: int) -> None:
    """A whole build: prepare, write the working copy (a marts table of ``pupils`` rows), publish."""
    prepare(settings, owner)
    write_marts(working_settings(settings, owner), pupils)
    publish(settings, owner)


def write_marts(settings: Settings, pupils: int) -> None:
    con = duckdb.connect(str(settings.warehouse_path))
    con.execute("create schema if not exists marts")
    con.execute("create or replace table marts.pupils as select range as pupil from range(?)", [pupils])
    con.close()


def pupils(path) -> int:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("select count(*) from marts.pupils").fetchall()[0][0]
    finally:
        con.close()


@pytest.fixture
def home(tmp_path) -> Settings:
    settings = Settings(tmp_path)
    build_night(settings, NIGHT_1, 100)
    return settings


def test_a_build_writes_only_the_working_copy_and_publish_swaps_it_in_keeping_the_previous(home):
    before = table_checksums(home.published_warehouse_path)
    reader = duckdb.connect(str(home.published_warehouse_path), read_only=True)  # an analyst, connected all night
    prepare(home, NIGHT_2)
    write_marts(working_settings(home, NIGHT_2), 250)
    assert table_checksums(home.published_warehouse_path) == before  # mid-build: the published file is untouched
    assert reader.execute("select count(*) from marts.pupils").fetchall() == [(100,)]

    done = publish(home, NIGHT_2)
    assert reader.execute("select count(*) from marts.pupils").fetchall() == [(100,)]  # still the version it opened, whole
    reader.close()
    assert pupils(home.published_warehouse_path) == 250  # a new connection opens the new version
    assert table_checksums(home.previous_warehouse_path) == before
    assert not home.working_warehouse_path.exists() and Build.read(home) is None
    assert (done.action, done.owner, done.tables, done.previous_kept) == ("publish", NIGHT_2, 1, True)
    assert [h.owner for h in history(home)] == [NIGHT_1, NIGHT_2]


def test_publish_refuses_when_the_published_file_was_written_during_the_build(home):
    prepare(home, NIGHT_2)
    write_marts(working_settings(home, NIGHT_2), 250)
    con = duckdb.connect(str(home.published_warehouse_path))  # e.g. a practitioner's review outcome, recorded meanwhile
    con.execute("create table marts.outcomes as select 1 as outcome")
    con.close()
    kept = table_checksums(home.published_warehouse_path)
    with pytest.raises(PublishError, match="changed after .* copied it"):
        publish(home, NIGHT_2)
    assert table_checksums(home.published_warehouse_path) == kept  # the outside write is kept, nothing half-published
    prepare(home, NIGHT_2)  # the re-run starts from the published file, outcome included
    write_marts(working_settings(home, NIGHT_2), 250)
    publish(home, NIGHT_2)
    assert set(table_checksums(home.published_warehouse_path)) == {"marts.outcomes", "marts.pupils"}


def test_rollback_swaps_in_the_previous_version_and_a_second_rollback_undoes_it(home):
    first = table_checksums(home.published_warehouse_path)
    build_night(home, NIGHT_2, 250)
    second = table_checksums(home.published_warehouse_path)
    reader = duckdb.connect(str(home.published_warehouse_path), read_only=True)
    assert rollback(home).action == "rollback"
    assert reader.execute("select count(*) from marts.pupils").fetchall() == [(250,)]  # open readers are not disturbed
    reader.close()  # (DuckDB shares one open file per path within a process; analysts are other processes)
    assert table_checksums(home.published_warehouse_path) == first
    rollback(home)
    assert table_checksums(home.published_warehouse_path) == second
    assert [h.action for h in history(home)] == ["publish", "publish", "rollback", "rollback"]


def test_rollback_needs_a_previous_version_and_no_build_in_progress(tmp_path, home):
    with pytest.raises(PublishError, match="no previous version"):
        rollback(home)
    build_night(home, NIGHT_2, 250)
    prepare(home, "partnership_retention/run-1")
    with pytest.raises(PublishError, match="a build holds the working copy"):
        rollback(home)
    with pytest.raises(PublishError, match="no previous version"):
        rollback(Settings(tmp_path / "empty"))


def test_only_the_holder_writes_or_publishes_and_only_a_nightly_run_takes_over_a_dead_nightly_build(home):
    prepare(home, NIGHT_2)  # a night that died before publishing
    with pytest.raises(PublishError, match="is held by partnership_nightly/night-2"):
        prepare(home, "partnership_retention/run-1")
    with pytest.raises(PublishError, match="does not hold the working copy"):
        working_settings(home, "partnership_nightly/night-3")
    with pytest.raises(PublishError, match="does not hold the working copy"):
        publish(home, "partnership_nightly/night-3")
    assert prepare(home, "partnership_nightly/night-3").owner == "partnership_nightly/night-3"  # the re-run starts afresh
    with pytest.raises(PublishError, match="does not hold the working copy"):
        publish(home, NIGHT_2)


def test_prepare_fails_while_another_process_holds_the_published_file_for_writing(home):
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
                               "print('locked', flush=True); time.sleep(60)", str(home.published_warehouse_path)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(duckdb.IOException, match="lock"):
            prepare(home, NIGHT_2)
    finally:
        holder.kill()
        holder.wait()
    time.sleep(0.1)
    assert pupils(home.published_warehouse_path) == 100
    prepare(home, NIGHT_2)  # once the lock is gone the build goes ahead
    assert pupils(home.working_warehouse_path) == 100
