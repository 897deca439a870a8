"""The gate's own decisions on one file: masking, special-category withholding, severities."""

from __future__ import annotations

import dataclasses
from datetime import date

import pandas as pd
import pytest

from youth_safety.contracts import get_contract
from youth_safety.governance.opt_out import OptOutRegister
from youth_safety.governance.register import register
from youth_safety.ingest import landed_files
from youth_safety.quality.gate import FileContext, judge
from youth_safety.quality.policy import policies

NIGHT = date(2024, 3, 1)
REFERRALS = get_contract("health", "semh_referrals")


@pytest.fixture
def referral_file(settings, land):
    """Three good mental-health referrals, the second with a UPN-free NHS number that fails modulus 11."""
    path = land(REFERRALS, NIGHT, NIGHT, 3)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[1, "nhs_number"] = "9434765918"
    frame.to_csv(path, index=False, lineterminator="\n")
    return next(f for f in landed_files(settings, "health", NIGHT))


def context(**changes) -> FileContext:
    base = FileContext([], None, register()["health"], policies()["health"], OptOutRegister(frozenset(), frozenset(), frozenset()))
    return dataclasses.replace(base, **changes)


def test_an_identifier_in_quarantine_is_masked(referral_file):
    verdict = judge(referral_file, context())
    held = verdict.quarantine
    assert list(held["rule_code"]) == ["FMT-NHS"] and list(held["row_number"]) == [2]
    assert held["masked_value"].iloc[0] == "[masked 10 characters]"
    assert verdict.rows_received == verdict.rows_loaded + verdict.rows_quarantined + verdict.rows_excluded == 3


def test_special_category_is_withheld_without_an_article_9_condition(referral_file):
    no_condition = dataclasses.replace(register()["health"], article9_condition=None)
    verdict = judge(referral_file, context(processing=no_condition))
    special = [f.name for f in REFERRALS.fields if f.privacy == "special_category"]
    assert verdict.withheld_columns == tuple(special) == ("service",)
    assert verdict.accepted["service"].isna().all()
    assert verdict.rows_quarantined == 1  # judged as received: withholding happens after the rules


def test_a_row_rule_set_to_reject_refuses_the_file(referral_file):
    strict = dataclasses.replace(policies()["health"], severity={"FMT-NHS": "reject"})
    verdict = judge(referral_file, context(policy=strict))
    assert verdict.rejection.rule_code == "FMT-NHS" and "first at data row 2" in verdict.rejection.detail
    assert verdict.accepted is None


def test_a_rule_set_to_warn_loads_the_row_and_records_it(referral_file):
    lenient = dataclasses.replace(policies()["health"], severity={"FMT-NHS": "warn"})
    verdict = judge(referral_file, context(policy=lenient))
    assert verdict.rows_loaded == 3 and verdict.quarantine.empty
    assert list(verdict.warnings["rule_code"]) == ["FMT-NHS"]
