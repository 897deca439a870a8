"""The synthetic borough generator: contracts, planted mess, delivery layout, determinism."""

from __future__ import annotations

import hashlib
import math
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from youth_safety.config import SOURCES, Settings
from youth_safety.contracts import all_contracts, get_contract
from youth_safety.generator import MessRates, generate
from youth_safety.quality.conformance import check_frame, read_extract

START, END = date(2018, 9, 1), date(2020, 3, 31)
# Identity mess is drawn per agency person record; these are the entities carrying names.
IDENTITY_ENTITIES = ("pupil_id", "tracking_id", "pers_person_id", "yot_id", "involvement_id", "arrest_id", "report_id", "patient")


def _generate(home: Path, seed: int = 42, scale: float = 0.25, rates: MessRates | None = None, nightly_days: int = 7) -> Settings:
    settings = Settings(home=home)
    generate(settings, scale=scale, seed=seed, start=START, end=END, nightly_days=nightly_days, rates=rates)
    return settings


@pytest.fixture(scope="module")
def borough(tmp_path_factory) -> Settings:
    return _generate(tmp_path_factory.mktemp("borough"))


@pytest.fixture(scope="module")
def deliveries(borough) -> pd.DataFrame:
    return pd.read_csv(borough.truth_dir / "deliveries.csv", dtype={"rows": int})


@pytest.fixture(scope="module")
def mess(borough) -> pd.DataFrame:
    return pd.read_csv(borough.truth_dir / "mess.csv", dtype=str, keep_default_na=False)


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def _within(observed: int, trials: int, rate: float, sigmas: float = 4.0) -> bool:
    """Is a binomial count consistent with its configured rate?"""
    expected = trials * rate
    return abs(observed - expected) <= sigmas * math.sqrt(max(trials * rate * (1 - rate), 1.0))


def test_same_seed_gives_the_same_bytes(tmp_path):
    first = _digest(_generate(tmp_path / "a", scale=0.05).home)
    second = _digest(_generate(tmp_path / "b", scale=0.05).home)
    other_seed = _digest(_generate(tmp_path / "c", seed=7, scale=0.05).home)
    assert first == second
    assert len(first) > 150
    assert first != other_seed


def test_every_file_satisfies_its_contract_apart_from_the_planted_mess(borough, deliveries, mess):
    row_mess = mess[mess["row_number"] != "-1"]
    checked_rows = 0
    for delivery in deliveries.itertuples():
        contract = get_contract(delivery.source, delivery.extract)
        frame = read_extract(borough.landing_dir / delivery.file)
        assert list(frame.columns) == contract.columns, delivery.file
        assert len(frame) == delivery.rows
        violations = check_frame(contract, frame)
        planted = row_mess[row_mess["file"] == delivery.file]
        assert set(violations["rule"]) <= {"code", "duplicate_key"}, (delivery.file, violations.head())
        found_codes = violations[violations["rule"] == "code"]
        planted_codes = planted[planted["kind"] == "invalid_code"]
        assert sorted(zip(found_codes["row_number"], found_codes["column"])) == sorted(zip(planted_codes["row_number"].astype(int), planted_codes["column"])), delivery.file
        found_dups = violations.loc[violations["rule"] == "duplicate_key", "row_number"]
        planted_dups = planted.loc[planted["kind"] == "duplicate_row", "row_number"].astype(int)
        assert sorted(found_dups) == sorted(planted_dups), delivery.file
        checked_rows += len(frame)
    assert checked_rows > 100_000


def test_planted_mess_matches_the_configured_rates(borough, deliveries, mess):
    rates = MessRates()
    records = pd.read_parquet(borough.truth_dir / "source_records.parquet")
    persons = pd.read_parquet(borough.truth_dir / "persons.parquet").set_index("person_id")
    agency_records = records[records["entity"].isin(IDENTITY_ENTITIES)]
    identity = mess[mess["row_number"] == "-1"]
    n = len(agency_records)
    assert _within((identity["kind"] == "name_typo").sum(), n, rates.name_typo)
    swappable = pd.to_datetime(persons.loc[agency_records["person_id"], "dob"])
    eligible = ((swappable.dt.day <= 12) & (swappable.dt.day != swappable.dt.month)).sum()
    assert _within((identity["kind"] == "dob_swap").sum(), eligible, rates.dob_swap)
    total_rows = int(deliveries["rows"].sum())
    duplicates = (mess["kind"] == "duplicate_row").sum()
    assert _within(duplicates, total_rows, rates.duplicate_row)
    assert (mess["kind"] == "invalid_code").sum() > 0
    late = deliveries.drop_duplicates(["source", "extract_night"])
    nights_that_can_be_late = late[(late["extract_night"] > late["extract_night"].min()) & (late["extract_night"] < late["extract_night"].max())]
    assert _within(int(late["late"].sum()), len(nights_that_can_be_late), rates.late_file)
    for kind in ("nickname", "missing_upn", "missing_nhs_number"):
        assert (identity["kind"] == kind).sum() > 0, kind


def test_identity_mess_really_differs_from_the_truth(borough, mess):
    records = pd.read_parquet(borough.truth_dir / "source_records.parquet")
    persons = pd.read_parquet(borough.truth_dir / "persons.parquet").set_index("person_id")
    pupils = read_extract(next(borough.landing_dir.glob("education/*/pupils_*.csv"))).drop_duplicates("pupil_id").set_index("pupil_id")
    truth = records[records["entity"] == "pupil_id"].set_index("record_id")["person_id"]
    for kind, column, true_column in (("nickname", "forename", "forename"), ("name_typo", "surname", "surname"), ("dob_swap", "dob", "dob")):
        planted = mess[(mess["kind"] == kind) & (mess["column"] == column) & (mess["record"].isin(pupils.index))]["record"]
        assert len(planted) > 0, kind
        for record in planted:
            assert pupils.at[record, column] != persons.at[truth[record], true_column], (kind, record)


def test_no_mess_means_no_violations(tmp_path):
    settings = _generate(tmp_path, scale=0.05, rates=MessRates.none())
    assert pd.read_csv(settings.truth_dir / "mess.csv").empty
    for path in settings.landing_dir.rglob("*.csv"):
        contract = get_contract(path.parts[-3], path.name.rsplit("_", 1)[0])
        assert check_frame(contract, read_extract(path)).empty, path


def test_delivery_layout(borough, deliveries):
    nights = sorted(deliveries["extract_night"].unique())
    assert len(nights) == 7 and nights[-1] == END.isoformat()
    for source in SOURCES:
        delivered = sorted(deliveries.loc[deliveries["source"] == source, "delivered_night"].unique())
        assert sorted(p.name for p in (borough.landing_dir / source).iterdir()) == delivered
    # every extract has one file per night, header-only when nothing happened
    assert len(deliveries) == len(all_contracts()) * len(nights)
    late = deliveries[deliveries["late"]]
    assert (pd.to_datetime(late["delivered_night"]) - pd.to_datetime(late["extract_night"])).dt.days.eq(1).all()
    for row in late.itertuples():
        assert (borough.landing_dir / row.file).parent.name == row.delivered_night
    history = deliveries[deliveries["extract_night"] == nights[0]]
    assert history.set_index("extract")["rows"].loc[["attendance", "crimes", "ssd_cin_episodes"]].gt(300).all()


def test_ground_truth_covers_every_agency_person_record(borough):
    records = pd.read_parquet(borough.truth_dir / "source_records.parquet")
    for source, extract, column, entity in (
        ("education", "pupils", "pupil_id", "pupil_id"), ("social_care", "ssd_person", "pers_person_id", "pers_person_id"),
        ("yos", "young_people", "yot_id", "yot_id"), ("police", "involvements", "involvement_id", "involvement_id"),
        ("health", "semh_referrals", "referral_id", "referral_id"),
    ):
        landed = set()
        for path in borough.landing_dir.glob(f"{source}/*/{extract}_*.csv"):
            landed |= set(read_extract(path)[column])
        known = set(records.loc[records["entity"] == entity, "record_id"])
        assert landed and landed <= known, (source, extract)


def test_mess_rates_from_the_command_line():
    rates = MessRates.parse(["name_typo=0.5", "late_file=0"])
    assert (rates.name_typo, rates.late_file, rates.nickname) == (0.5, 0.0, MessRates().nickname)
    for bad, message in (("bogus=1", "unknown mess kind 'bogus'"), ("name_typo=x", "must be a number"), ("dob_swap=2", "between 0 and 1")):
        with pytest.raises(ValueError, match=message):
            MessRates.parse([bad])


def test_the_opt_out_register_is_readable_by_its_owner_only(borough):
    """It names people who objected: like the vault, owner-only folder and file."""
    import stat

    assert stat.S_IMODE(borough.opt_out_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(borough.opt_out_path.parent.stat().st_mode) == 0o700
    assert len(pd.read_csv(borough.opt_out_path, dtype=str)) > 0
