"""The probabilistic model's shape: comparisons, blocking rules, and the EM training rules.

Inputs are the normalised records of :mod:`youth_safety.linkage.records` (names upper-case
letters only, dob a date, sex M/F or null, postcode 'N1 7AB' with its district and sector).
A typo in the generator and in life is one slip (Damerau-Levenshtein 1); short forms of a
forename are mostly its prefix (Sam, Alex) or a close Jaro-Winkler; a day/month swap keeps
the year. Eight blocking rules give about 7.5 million candidate pairs for 400,000 records (of
80 billion possible); Splink's blocking analysis at training records the counts.
"""

from __future__ import annotations

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import SettingsCreator, block_on
from splink.internals.blocking_rule_creator import BlockingRuleCreator

LINKER_UID = "youth_safety_linkage"  # fixed, so the same training gives the same JSON
TF_COLUMNS = ("forename", "surname")


def _name(column: str, short_forms: bool) -> cl.CustomComparison:
    """Exact (term-frequency adjusted), one slip, Jaro-Winkler, short form, else."""
    levels = [
        cll.NullLevel(column),
        cll.ExactMatchLevel(column, term_frequency_adjustments=True),
        cll.DamerauLevenshteinLevel(column, 1),
        cll.JaroWinklerLevel(column, 0.9),
    ]
    if short_forms:
        levels.append(cll.CustomLevel(
            f"length({column}_l) >= 2 and length({column}_r) >= 2 and "
            f"(starts_with({column}_l, {column}_r) or starts_with({column}_r, {column}_l))",
            label_for_charts="One is the start of the other (short form)",
        ))
    levels += [cll.JaroWinklerLevel(column, 0.75), cll.ElseLevel()]
    return cl.CustomComparison(levels, output_column_name=column)


def _dob() -> cl.CustomComparison:
    return cl.CustomComparison([
        cll.NullLevel("dob"),
        cll.ExactMatchLevel("dob").configure(label_for_charts="Exact match"),
        cll.CustomLevel("year(dob_l) = year(dob_r) and month(dob_l) = day(dob_r) and day(dob_l) = month(dob_r)",
                        label_for_charts="Day and month swapped"),
        cll.CustomLevel("damerau_levenshtein(strftime(dob_l, '%Y-%m-%d'), strftime(dob_r, '%Y-%m-%d')) <= 1",
                        label_for_charts="One digit different"),
        cll.CustomLevel("year(dob_l) = year(dob_r) and month(dob_l) = month(dob_r)",
                        label_for_charts="Same year and month"),
        cll.CustomLevel("abs(date_diff('day', dob_l, dob_r)) <= 366", label_for_charts="Within a year"),
        cll.ElseLevel(),
    ], output_column_name="dob")


def _postcode() -> cl.CustomComparison:
    return cl.CustomComparison([
        cll.NullLevel("postcode"),
        cll.ExactMatchLevel("postcode").configure(label_for_charts="Exact match"),
        cll.ExactMatchLevel("postcode_sector").configure(label_for_charts="Same sector"),
        cll.ExactMatchLevel("postcode_district").configure(label_for_charts="Same district (outward code)"),
        cll.ElseLevel(),
    ], output_column_name="postcode")


def prediction_rules() -> list[BlockingRuleCreator]:
    """Candidate pairs: a pair is scored when any one of these holds.

    Each asks two of name, date of birth and postcode to agree, mostly one loosely (a name's
    initial, a birth date's year or day and month), so that a slip, short form or day/month
    swap in the rest still leaves the pair in some rule. Blocks stay small as the population
    grows, where a name or birth year alone makes blocks whose pairs grow with its square.
    """
    return [
        block_on("dob", "surname_initial"),
        block_on("dob", "forename_initial"),
        block_on("surname", "forename", "birth_year"),
        block_on("surname", "forename", "birth_day_month"),
        block_on("surname", "birth_year", "forename_initial"),
        block_on("forename", "birth_year", "surname_initial"),
        block_on("postcode", "forename_initial"),
        block_on("postcode", "surname"),
    ]


def training_rules() -> list[BlockingRuleCreator]:
    """EM sessions: one fixes dob (learns names, sex, postcode), one fixes names (learns dob)."""
    return [block_on("dob"), block_on("surname", "forename")]


def settings(probability_two_random_records_match: float = 1e-4) -> SettingsCreator:
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=[
            _name("forename", short_forms=True),
            _name("surname", short_forms=False),
            _dob(),
            cl.ExactMatch("sex"),
            _postcode(),
        ],
        blocking_rules_to_generate_predictions=prediction_rules(),
        probability_two_random_records_match=probability_two_random_records_match,
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
        linker_uid=LINKER_UID,
    )
