"""At scale 1.0 the warehouse's KPIs fall in the magnitudes of domain-notes and the strategy.

The real pipeline without Airflow (gate and load every source, link, dbt build) over a generated
borough from April 2016 to September 2020 (conftest's scale1_warehouse). Single years are noisy at these sizes, so each band
is checked on the mean of the strategy's baseline years, as tests/test_generator_calibration.py
checks the generator itself; these check the warehouse's definitions on top of it.
"""

from __future__ import annotations

import re
from statistics import mean

import pytest

from youth_safety.config import REPO_ROOT, Settings
from youth_safety.warehouse import connect

BASELINE_YEARS = ("2016/17", "2017/18", "2018/19", "2019/20")
BAND = 0.25
SINGLE_YEAR_BAND = 0.45


@pytest.fixture(scope="module")
def warehouse(scale1_warehouse) -> Settings:
    return scale1_warehouse


def query(settings: Settings, sql: str, *params) -> list[tuple]:
    with connect(settings.warehouse_path, read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def yearly(settings: Settings, measure: str, column: str = "numerator", breakdown_value: str = "all") -> dict[str, float]:
    """A measure's financial-year values (the 'all' row unless a breakdown value is named)."""
    return dict(query(settings, f"""
        select period_label, {column} from marts.kpi_values
        where measure = ? and period_type = 'financial_year' and breakdown_value = ? and period_label in {BASELINE_YEARS}
    """, measure, breakdown_value))


def assert_near(by_year: dict[str, float], figure: float, single_year_band: float = SINGLE_YEAR_BAND) -> None:
    assert by_year, "no rows"
    assert abs(mean(by_year.values()) - figure) <= BAND * figure, (by_year, figure)
    for year, value in by_year.items():
        assert abs(value - figure) <= single_year_band * figure, (year, value, figure)


def test_every_kpi_mart_has_rows_for_every_year_of_the_history(warehouse):
    marts = [name for (name,) in query(warehouse, """
        select table_name from information_schema.tables
        where table_schema = 'marts' and table_name like 'kpi_%' and table_name <> 'kpi_disproportionality'""")]
    assert len(marts) >= 14
    expected = {"financial_year": {"2016/17", "2017/18", "2018/19", "2019/20", "2020/21"},
                "academic_year": {"2016/17", "2017/18", "2018/19", "2019/20", "2020/21"}}
    for mart in marts:
        years = query(warehouse, f"""
            select period_type, list(distinct period_label) from marts.{mart}
            where period_type in ('financial_year', 'academic_year') group by period_type""")
        assert years, f"{mart} has no yearly rows"
        for period_type, labels in years:
            # reoffending cohorts need 12 months of follow-up and 6 of waiting after the year ends:
            # with data to September 2020, 2018/19 is not final yet
            wanted = expected[period_type] if mart != "kpi_proven_reoffending" else {"2016/17", "2017/18"}
            assert wanted <= set(labels), (mart, period_type, sorted(labels))
    stages = query(warehouse, "select stage, count(distinct period_label) from marts.kpi_disproportionality group by stage")
    assert {stage for stage, years in stages if years >= 4} == {
        "arrest", "first_time_entry", "custody", "suspension", "permanent_exclusion"}


def test_first_time_entrants_and_custody_match_the_strategy(warehouse):
    fte = yearly(warehouse, "first_time_entrants")
    assert 55 <= mean(fte.values()) <= 80, fte  # strategy: 75 / 60 / 58 / 61
    custody = yearly(warehouse, "custodial_sentences")
    assert_near(custody, mean([30, 17, 23, 7]), single_year_band=0.75)  # the strategy's years run from 7 to 30


def test_figure_1_crime_measures_match_the_strategy(warehouse):
    assert_near(yearly(warehouse, "total_notifiable_offences"), mean([31_425, 28_328, 30_273]))
    assert_near(yearly(warehouse, "knife_crime_offences"), mean([630, 576, 554]))
    assert_near(yearly(warehouse, "gun_crime_offences"), mean([75, 62, 43]))
    victims = yearly(warehouse, "knife_crime_with_injury_victims_under_25_non_da")
    assert 40 <= mean(victims.values()) <= 80, victims  # strategy: 76 / 63 / 41


def test_yos_cohort_overlaps_match_section_5_4(warehouse):
    """January 2020: more than half with SEN, 16% with an EHCP, at least half ever excluded, a fifth to a quarter looked after."""
    def share(measure: str) -> float:
        return mean(yearly(warehouse, measure, "value").values()) / 100

    assert share("yos_cohort_with_sen") > 0.5
    assert 0.16 * (1 - BAND) - 0.05 <= share("yos_cohort_with_ehcp") <= 0.16 * (1 + BAND) + 0.05
    assert share("yos_cohort_ever_suspended_or_excluded") >= 0.5 * (1 - BAND)  # exclusion data starts in 2016
    assert 0.20 * (1 - BAND) - 0.05 <= share("yos_cohort_ever_looked_after") <= 0.25 * (1 + BAND)
    assert share("secondary_pupils_with_ehcp") < 0.05 and share("secondary_pupils_with_sen_support") < 0.25  # 2.0% and 14.2%


def test_high_risk_cohorts_are_disproportionately_represented(warehouse):
    """Section 5.4: Black Caribbean pupils are suspended and first enter the system at several times White British rates."""
    rri = dict(query(warehouse, """
        select stage, avg(rri) from marts.kpi_disproportionality
        where ethnicity_code = 'BCRB' and period_label in ('2016/17', '2017/18', '2018/19', '2019/20') group by stage"""))
    assert rri["suspension"] > 1.5 and rri["first_time_entry"] > 1.5 and rri["arrest"] > 1.5, rri


def test_published_figures_are_disclosure_controlled_and_close_to_the_exact_ones(warehouse):
    (shown,) = query(warehouse, """
        select count(*) filter (where numerator between 1 and 7 or numerator % 5 <> 0),
               count(*) filter (where numerator_flag = 'c'), count(*)
        from published.pub_kpis""")
    leaks, hidden, total = shown
    assert leaks == 0 and 0 < hidden < total
    exact = yearly(warehouse, "total_notifiable_offences")
    published = dict(query(warehouse, """
        select period_label, numerator from published.pub_kpis
        where measure = 'total_notifiable_offences' and period_type = 'financial_year' and breakdown = 'all'"""))
    assert all(abs(published[year] - count) <= 2.5 for year, count in exact.items())


def test_the_readme_questions_for_analysts_run_and_answer(warehouse):
    readme = (REPO_ROOT / "README.md").read_text()
    section = readme[readme.index("### Ten questions"):readme.index("### Disclosure control")]
    questions = re.findall(r"```sql\n(.*?)```", section, re.S)
    assert len(questions) == 10
    with connect(warehouse.warehouse_path, read_only=True) as con:
        answered = [len(con.execute(sql).fetchall()) for sql in questions]
    assert sum(rows > 0 for rows in answered) >= 9, answered  # the timeline asks for one example key
