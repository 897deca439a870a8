"""Shared set-up: a throwaway data home for Airflow, and tiny landed files for loader tests."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

import pytest

from youth_safety.airflow_env import airflow_env
from youth_safety.config import Settings
from youth_safety.contracts import Contract, Field
from youth_safety.identifiers import make_pnc_id, make_upn
from youth_safety.privacy.keys import ensure_development_key

from nightly_fixtures import END as NIGHTLY_END
from nightly_fixtures import START as NIGHTLY_START
from nightly_fixtures import person_keys

CLI = Path(sys.executable).parent / "youth-safety"
SCALE1_START, SCALE1_END = date(2016, 4, 1), date(2020, 9, 30)
HOME = pytest.StashKey[Path]()
# xdist groups of modules that share a costly session fixture (see pytest_collection_modifyitems)
SHARED_SESSION_FIXTURES = {"nightly": {"airflow_settings", "generated", "night_before", "first_run"}, "scale1": {"scale1_warehouse"}}
# the longest groups, from `--durations` of a whole run (nightly ~9 min, faults ~6, bench ~4, scheduler ~3.5)
LONGEST_FIRST = ("nightly", "test_faults", "test_bench", "test_scheduler_run", "scale1", "test_person_marts", "test_erasure",
                 "test_dbt_project", "test_retention", "test_bad_inputs")
SAMPLE_BY_TYPE = {
    "string": "s",
    "integer": "7",
    "decimal": "1.5",
    "date": "2024-01-31",
    "boolean": "Y",
    "json_array": '["3A"]',
}


def pytest_configure(config: pytest.Config) -> None:
    """Point Airflow at a throwaway home before any test module imports it."""
    config.stash[HOME] = Path(tempfile.mkdtemp(prefix="youth-safety-test-"))
    os.environ.update(airflow_env(Settings(config.stash[HOME])))


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(config.stash[HOME], ignore_errors=True)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """For ``make test``'s two workers (pytest-xdist, ``--dist loadgroup``): one group per module, except that
    modules sharing a costly session fixture share a group (so it is built once), longest groups first."""
    for item in items:
        item.add_marker(pytest.mark.xdist_group(_group(item)))
    items.sort(key=lambda item: _rank(_group(item)))


def _group(item: pytest.Item) -> str:
    shared = [group for group, fixtures in SHARED_SESSION_FIXTURES.items() if fixtures & set(item.fixturenames)]
    return shared[0] if shared else item.path.stem


def _rank(group: str) -> int:
    return LONGEST_FIRST.index(group) if group in LONGEST_FIRST else len(LONGEST_FIRST)


@pytest.fixture(scope="session")
def cli():
    """Run the youth-safety CLI as a user would, in this session's environment."""

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(CLI), *args], capture_output=True, text=True, stdin=subprocess.DEVNULL)

    return run


@pytest.fixture(scope="session")
def airflow_settings(pytestconfig: pytest.Config, cli) -> Settings:
    """The session's data home, with Airflow's metadata database migrated once."""
    for command in ("airflow-init", "dev-key"):
        done = cli(command)
        assert done.returncode == 0, done.stdout + done.stderr
    return Settings(pytestconfig.stash[HOME])


@pytest.fixture(scope="session")
def generated(airflow_settings):
    """The nightly runs' borough in the session's data home (see nightly_fixtures)."""
    from youth_safety.generator import generate

    return generate(airflow_settings, scale=0.05, seed=7, start=NIGHTLY_START, end=NIGHTLY_END, nightly_days=3)


@pytest.fixture(scope="session")
def night_before(airflow_settings, generated, cli) -> dict[tuple[str, str, str], str]:
    """The night before END through Airflow: go-live history and the first nightly folders; returns its person keys."""
    done = cli("run", "--date", (NIGHTLY_END - timedelta(days=1)).isoformat())
    assert done.returncode == 0, done.stdout + done.stderr
    return person_keys(airflow_settings)


@pytest.fixture(scope="session")
def first_run(airflow_settings, generated, night_before, cli):
    """END through Airflow, after the night before."""
    done = cli("run", "--date", NIGHTLY_END.isoformat())
    assert done.returncode == 0, done.stdout + done.stderr
    return done


SAMPLE_BY_FORMAT = {
    "upn": make_upn(206, 2001, 16, 5),
    "nhs_number": "9434765919",
    "pnc_id": make_pnc_id(2009, 123456),
    "postcode": "N7 8AB",
    "lsoa": "E01002700",
    "academic_year": "2023/24",
}


def sample_value(field: Field, row: int) -> str:
    """A valid value of the field's type and format; optional fields are left empty (a missing value)."""
    if not field.required:
        return ""
    if field.allowed_values:
        return sorted(field.allowed_values)[0]
    if field.format:
        return SAMPLE_BY_FORMAT[field.format]
    return f"{field.name}-{row}" if field.type == "string" else SAMPLE_BY_TYPE[field.type]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """A fresh data home for one test, with its own development pseudonymisation key."""
    home = Settings(tmp_path)
    ensure_development_key(home)
    return home


@pytest.fixture
def land(settings: Settings):
    """Write a small extract file into the test's landing zone as an agency would."""

    def write(contract: Contract, delivered: date, night: date, rows: int, columns: list[str] | None = None) -> Path:
        folder = settings.landing_night_dir(contract.source, delivered.isoformat())
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / contract.file_name(night.isoformat())
        columns = columns or contract.columns
        with open(path, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(columns)
            for row in range(rows):
                writer.writerow(sample_value(contract.field(c), row) for c in columns)
        return path

    return write


@pytest.fixture(scope="session")
def scale1_warehouse(tmp_path_factory) -> Settings:
    """A scale-1 borough, April 2016 to September 2020, through the real pipeline without Airflow:
    gate and load every source, link, dbt build. Shared by the KPI-magnitude and model tests."""
    from youth_safety.config import SOURCES
    from youth_safety.dbt_runner import build
    from youth_safety.generator import generate
    from youth_safety.ingest import load_source
    from youth_safety.linkage.nightly import link_night
    from youth_safety.privacy.keys import new_key

    settings = Settings(home=tmp_path_factory.mktemp("scale1"))
    key = new_key()
    generate(settings, scale=1.0, seed=42, start=SCALE1_START, end=SCALE1_END, nightly_days=1)
    for source in SOURCES:
        load_source(settings, source, SCALE1_END, "scale1", key)
    link_night(settings, SCALE1_END, key=key)
    build(settings)
    return settings

