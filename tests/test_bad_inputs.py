"""Every case of the bad-input corpus through the real gate: the documented outcome, and nothing lost.

A small clean borough is generated and loaded up to the night before the last; each case
then rewrites one of the last night's files and loads that night. Counts are compared
with the same file judged unharmed, so only what the case did is measured.
"""

from __future__ import annotations

import os
import shutil
from datetime import date, timedelta

import duckdb
import pytest

from youth_safety.config import Settings
from youth_safety.privacy.keys import ensure_development_key, key_path
from youth_safety.privacy.vault import connect_vault
from youth_safety.contracts import get_contract
from youth_safety.generator import MessRates, generate
from youth_safety.governance.opt_out import OptOutRegister
from youth_safety.ingest import GateFailure, landed_files, load_source
from youth_safety.ingest.load import _context
from youth_safety.quality.bad_inputs import CORPUS, BadInput
from youth_safety.quality.gate import judge
from youth_safety.warehouse import connect

END = date(2024, 6, 30)
NIGHTS = [END - timedelta(days=n) for n in range(7, -1, -1)]  # go-live history, then 7 nightly deliveries
SOURCES_USED = ("education", "police", "health")


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Settings:
    settings = Settings(home=tmp_path_factory.mktemp("base"))
    ensure_development_key(settings)
    generate(settings, scale=0.1, seed=3, start=date(2023, 1, 1), end=END, nightly_days=8, rates=MessRates.none())
    settings.opt_out_path.write_text("nhs_number,upn,surname,dob\n")
    for night in NIGHTS[:-1]:
        for source in SOURCES_USED:
            load_source(settings, source, night)
    return settings


def _case_home(base: Settings, tmp_path) -> Settings:
    """A copy of the base home: landing files hard-linked (replaced, never edited), warehouse copied."""
    settings = Settings(home=tmp_path / "home")
    shutil.copytree(base.landing_dir, settings.landing_dir, copy_function=os.link)
    shutil.copytree(base.opt_out_path.parent, settings.opt_out_path.parent)
    settings.warehouse_path.parent.mkdir(parents=True)
    shutil.copy(base.warehouse_path, settings.warehouse_path)
    for private in (base.vault_path.parent, key_path(base).parent):
        shutil.copytree(private, settings.home / private.name)
    return settings


def _target(settings: Settings, case: BadInput, night: date):
    source, extract = case.extract.split(".")
    contract = get_contract(source, extract)
    for candidate in (night, NIGHTS[0]):  # tonight's file, or the history file when tonight's is nearly empty
        path = next(f.path for f in landed_files(settings, source, END) if f.contract is contract and f.extract_night == candidate)
        if path.read_bytes().count(b"\n") > 3:
            return contract, path
    raise AssertionError(f"no file of {case.extract} with rows")


def _verdict_counts(settings: Settings, path, source: str):
    landed = next(f for f in landed_files(settings, source, END) if f.path == path)
    with connect(settings.warehouse_path, read_only=True) as con:
        verdict = judge(landed, _context(con, landed, OptOutRegister.load(settings.opt_out_path)))
    return verdict


def row_file(settings: Settings, path) -> str:
    return str(path.relative_to(settings.landing_dir))


@pytest.mark.parametrize("case", CORPUS, ids=[c.name for c in CORPUS])
def test_bad_input(base, tmp_path, case):
    settings = _case_home(base, tmp_path)
    source = case.extract.split(".")[0]
    contract, target = _target(settings, case, END)
    previous = next(f.path for f in landed_files(settings, source, END) if f.contract is contract and f.extract_night == END - timedelta(days=1))
    if case.from_previous_night:
        assert previous.read_bytes().count(b"\n") > 1, "the previous night's file needs rows for this case"
    good = _verdict_counts(settings, target, source)
    raw = case.mutate((previous if case.from_previous_night else target).read_bytes())
    delivered = target.parent / previous.name if case.keep_name else target
    delivered.unlink(missing_ok=True)
    delivered.write_bytes(raw)
    if case.opt_out_row_1:
        upn = good.accepted.sort_values("_source_row_number")["upn"].iloc[0]
        settings.opt_out_path.write_text(f"nhs_number,upn,surname,dob\n,{upn},,\n")

    try:
        load_source(settings, source, END)
        failed = None
    except GateFailure as failure:
        failed = str(failure)

    with connect(settings.warehouse_path, read_only=True) as con:
        row = con.execute(
            "select status, rows_received, rows_loaded, rows_quarantined, rows_excluded, rejection_rule, dropped_columns "
            "from audit.file_loads where file_name = ? and run_night = ?", [str(delivered.relative_to(settings.landing_dir)), END]).fetchone()
        expect = case.expect
        if expect.status == "skipped":
            assert row is None and failed is None
            return
        status, received, loaded, quarantined, excluded, rejection_rule, dropped = row
        if expect.status == "rejected":
            assert (status, rejection_rule) == ("rejected", expect.rule)
            assert failed and expect.rule in failed and delivered.name in failed
            loaded_tonight = con.execute(f"select count(*) from raw_{source}.{contract.extract} where _file_name like ?", [f"%/{END}/%"]).fetchone()[0]
            assert loaded_tonight == 0  # the whole source is held back for the night
            return
        assert failed is None and status == "loaded"
        assert received == loaded + quarantined + excluded
        assert quarantined - good.rows_quarantined == expect.quarantined
        if expect.excluded is None:
            assert excluded - good.rows_excluded == (good.accepted["upn"] == upn).sum() > 0
        else:
            assert excluded - good.rows_excluded == expect.excluded
        assert tuple(dropped) == expect.dropped_columns
        if expect.rule:
            table = "audit.gdpr_exclusions" if expect.rule.startswith("GDPR") else "audit.quarantine"
            codes = {r[0] for r in con.execute(f"select rule_code from {table} where file_name = ?", [row_file(settings, delivered)]).fetchall()}
            assert expect.rule in codes
        _check_values(con, settings, case, contract)


def _check_values(con: duckdb.DuckDBPyConnection, settings: Settings, case: BadInput, contract) -> None:
    """What loads must load as sent, in the right place (warehouse or vault); what is dropped must be nowhere."""
    table = f"raw_{contract.source}.{contract.extract}"
    if case.name == "extra_column_with_names":
        for (name,) in con.execute("select table_schema || '.' || table_name from information_schema.tables").fetchall():
            columns = [c[0] for c in con.execute(f"select column_name from information_schema.columns where table_schema || '.' || table_name = ?", [name]).fetchall()]
            text = " || ".join(f'coalesce(cast("{c}" as varchar), \'\')' for c in columns)
            assert con.execute(f"select count(*) from {name} where ({text}) like '%Oddname%'").fetchone()[0] == 0, name
    if case.name == "sql_looking_value":
        with connect_vault(settings, read_only=True) as vault:
            assert vault.execute("select count(*) from person_records where surname like '%DROP TABLE%'").fetchall() == [(1,)]
    if case.name == "shuffled_column_order":
        wrong = con.execute(f"select count(*) from {table} where sex not in ('M', 'F', 'U') or not regexp_matches(birth_year_month, '^[0-9]{{4}}-[0-9]{{2}}$')").fetchone()[0]
        assert wrong == 0
