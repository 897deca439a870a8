"""The education and children's-services KPI marts (issue 5) on a small hand-built borough, every
expected figure worked out by hand next to its assertion.

The children (person keys), written independently of the generator:

    PK01  P1   girl, BCRB, born 2008-03, secondary (100450) from 2019-09-02, SEN support;
               social-care S1 (in care from 2019-06-01), YOT Y1 (youth caution 2019-12-01)
    PK02  P2   boy, WBRI, born 2008-05, secondary from 2019-09-02, EHC plan, FSM from 2019-09-02
    PK03  P3   boy, BCRB, born 2004-02, secondary 2015-09-01 to 2020-07-20, KS4 2019/20;
               YOT Y3 (community resolution only: not substantive)
    PK04  P4   girl, WBRI, born 2004-06, secondary 2015-09-01 to 2020-07-20, FSM 2016-2018, KS4 2019/20
    PK05  P5   boy, WBRI, born 2014-10, reception (primary 100400) from 2019-09-02, EYFS 2019/20
    PK06  P6   girl, AIND, born 2015-01, reception from 2019-09-02, EYFS 2019/20
    PK07  P7   girl, WBRI, born 2008-09, secondary 2019-09-02 to 2020-01-10 (gone before census day);
               YOT Y2 (referral order 2020-02-01)
    PK08  P8   boy, MWBC, born 2004-01, secondary 2015-09-01 to 2020-07-20, KS4 2019/20
    PK09  T1   girl born 2002-12 (16 on 2019-08-31), post-16 tracking
    PK10  T2   boy born 2002-03 (17 on 2019-08-31), post-16 tracking
    PK11  T3   boy born 2001-06 (18 on 2019-08-31: outside the NEET cohort)
    PK12  R4   a woman born 1999 reported missing (an adult)
    PK13  Y4   boy born 2005-01, YOT only (youth caution 2020-01-15)

2019/20 census day: Thursday 2020-01-16. On roll then: P1, P2, P3, P4, P5, P6, P8 = 7 pupils
(P7 left 2020-01-10); secondary: P1, P2, P3, P4, P8 = 5.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from youth_safety.config import Settings
from youth_safety.dbt_runner import build
from youth_safety.warehouse import connect

from dbt_fixtures import agency_id, fresh_warehouse, query

LOAD = ("load-1", datetime(2020, 6, 1, 2, 0), "2020-06-01")
MODELS = ("kpi_eyfs_good_level_of_development kpi_exclusions kpi_gcse_gaps kpi_neet kpi_missing_children "
          "kpi_semh_first_appointments kpi_yos_cohort_overlaps")

PRIMARY, SECONDARY = "100400", "100450"


def _pupil(pupil_id, sex, ethnicity, dob, school, year_group, entry, leaving=None, sen="N", fsm=(None, None)):
    return {"pupil_id": pupil_id, "upn": None, "surname": "Test", "forename": f"Child{pupil_id}", "dob": dob,
            "sex": sex, "ethnicity": ethnicity, "sen_provision": sen, "school_urn": school, "year_group": year_group,
            "entry_date": entry, "leaving_date": leaving, "fsm_start_date": fsm[0], "fsm_end_date": fsm[1]}


PUPILS = [
    _pupil("P1", "F", "BCRB", "2008-03-10", SECONDARY, "7", "2019-09-02", sen="K"),
    _pupil("P2", "M", "WBRI", "2008-05-01", SECONDARY, "7", "2019-09-02", sen="E", fsm=("2019-09-02", None)),
    _pupil("P3", "M", "BCRB", "2004-02-01", SECONDARY, "11", "2015-09-01", "2020-07-20"),
    _pupil("P4", "F", "WBRI", "2004-06-01", SECONDARY, "11", "2015-09-01", "2020-07-20", fsm=("2016-01-01", "2018-12-31")),
    _pupil("P5", "M", "WBRI", "2014-10-01", PRIMARY, "R", "2019-09-02"),
    _pupil("P6", "F", "AIND", "2015-01-01", PRIMARY, "R", "2019-09-02"),
    _pupil("P7", "F", "WBRI", "2008-09-01", SECONDARY, "7", "2019-09-02", "2020-01-10"),
    _pupil("P8", "M", "MWBC", "2004-01-01", SECONDARY, "11", "2015-09-01", "2020-07-20"),
]


def _exclusion(exclusion_id, pupil_id, category, start):
    return {"exclusion_id": exclusion_id, "pupil_id": pupil_id, "school_urn": SECONDARY, "category": category,
            "start_date": start, "sessions": "2" if category == "FIXD" else None, "reason": "PP"}


EXCLUSIONS = [
    _exclusion("E1", "P1", "FIXD", "2019-10-10"),
    _exclusion("E2", "P1", "FIXD", "2020-02-03"),
    _exclusion("E3", "P2", "PERM", "2020-03-05"),
    _exclusion("E4", "P7", "FIXD", "2019-11-05"),
    _exclusion("E5", "P3", "FIXD", "2019-04-10"),  # academic year 2018/19, financial year 2019/20
]


def _result(pupil_id, school, key_stage, gld=None, a8=None, p8=None):
    return {"pupil_id": pupil_id, "upn": None, "school_urn": school, "academic_year": "2019/20", "key_stage": key_stage,
            "eyfs_gld": gld, "ks2_rwm_expected": None, "ks4_attainment8": a8, "ks4_progress8": p8}


ATTAINMENT = [
    _result("P5", PRIMARY, "EYFS", gld="true"),
    _result("P6", PRIMARY, "EYFS", gld="false"),
    _result("P3", SECONDARY, "KS4", a8="40.0", p8="-0.6"),
    _result("P4", SECONDARY, "KS4", a8="56.0", p8="0.2"),
    _result("P8", SECONDARY, "KS4", a8="60.0", p8="0.4"),
]


def _activity(tracking_id, sex, dob, month, activity):
    return {"tracking_id": tracking_id, "upn": None, "surname": "Test", "forename": f"Young{tracking_id}", "dob": dob,
            "sex": sex, "activity_month": month, "activity": activity}


POST16 = [
    _activity("T1", "F", "2002-12-05", "2019-12-01", "NEET"),
    _activity("T1", "F", "2002-12-05", "2020-01-01", "NEET"),
    _activity("T1", "F", "2002-12-05", "2020-02-01", "EDU"),
    _activity("T2", "M", "2002-03-05", "2019-12-01", "EDU"),
    _activity("T2", "M", "2002-03-05", "2020-01-01", "UNK"),
    _activity("T2", "M", "2002-03-05", "2020-02-01", "EMP"),
    _activity("T3", "M", "2001-06-01", "2019-12-01", "NEET"),
]

PERSONS = [{"pers_person_id": "S1", "pers_forename": "ChildP1", "pers_surname": "Test", "pers_dob": "2008-03-10",
            "pers_sex": "F", "pers_ethnicity": "BCRB"}]
CARE = [{"clae_cla_episode_id": "C1", "clae_person_id": "S1", "clae_cla_episode_start_date": "2019-06-01",
         "clae_cla_episode_start_reason": "S", "clae_cla_legal_status": "C2", "clae_cla_placement_type": "U4"}]
MISSING = [
    {"miss_table_id": "M1", "miss_person_id": "S1", "miss_missing_episode_start_date": "2019-07-01",
     "miss_missing_episode_type": "M", "miss_missing_episode_end_date": "2019-07-02",
     "miss_missing_rhi_offered": "true", "miss_missing_rhi_accepted": "true"},
    {"miss_table_id": "M2", "miss_person_id": "S1", "miss_missing_episode_start_date": "2019-08-15",
     "miss_missing_episode_type": "A", "miss_missing_episode_end_date": "2019-08-16",
     "miss_missing_rhi_offered": "true", "miss_missing_rhi_accepted": "false"},
]


def _report(report_id, sex, dob, reported, found):
    return {"report_id": report_id, "forename": "Missing", "surname": f"Person{report_id}", "dob": dob, "sex": sex,
            "postcode": None, "reported_date": reported, "found_date": found}


REPORTS = [
    _report("R1", "F", "2008-03-10", "2019-09-10", "2019-09-11"),  # P1, in care that day: from care, not home
    _report("R2", "F", "2008-09-01", "2019-09-20", "2019-09-21"),  # P7: from home
    _report("R3", "F", "2008-09-01", "2019-10-01", "2019-10-02"),  # P7 again
    _report("R4", "F", "1999-04-01", "2019-09-25", "2019-09-26"),  # an adult
]


def _referral(referral_id, sex, dob, referred, appointment):
    return {"referral_id": referral_id, "nhs_number": None, "forename": "Ref", "surname": f"Person{referral_id}",
            "dob": dob, "sex": sex, "postcode": None, "service": "CAMHS", "referral_date": referred,
            "first_appointment_date": appointment}


REFERRALS = [
    _referral("H1", "M", "2008-05-01", "2019-05-01", "2019-05-20"),  # P2, 19 days: within
    _referral("H2", "F", "2008-03-10", "2019-05-10", "2019-06-20"),  # P1, 41 days: not
    _referral("H3", "F", "2004-06-01", "2019-06-03", None),          # P4, never seen, 28 days long past: not
    _referral("H4", "M", "2004-01-01", "2020-05-20", None),          # P8, 12 days before the load: awaiting
]

YOUNG_PEOPLE = [{"yot_id": y, "forename": "Yot", "surname": f"Person{y}", "dob": dob, "sex": sex}
                for y, dob, sex in (("Y1", "2008-03-10", "F"), ("Y2", "2008-09-01", "F"), ("Y3", "2004-02-01", "M"),
                                    ("Y4", "2005-01-01", "M"))]
OFFENCES = [{"offence_id": o, "yot_id": y, "offence_date": d, "offence_code": "104/00", "outcome_date": d, "outcome": out}
            for o, y, d, out in (("O1", "Y1", "2019-12-01", "YC"), ("O2", "Y2", "2020-02-01", "RO"),
                                 ("O3", "Y3", "2019-10-01", "CR"), ("O4", "Y4", "2020-01-15", "YC"))]

RAW_LOADS = [
    ("education", "pupils", LOAD, PUPILS),
    ("education", "exclusions", LOAD, EXCLUSIONS),
    ("education", "attainment", LOAD, ATTAINMENT),
    ("education", "post16_activity", LOAD, POST16),
    ("social_care", "ssd_person", LOAD, PERSONS),
    ("social_care", "ssd_cla_episodes", LOAD, CARE),
    ("social_care", "ssd_missing", LOAD, MISSING),
    ("police", "missing_reports", LOAD, REPORTS),
    ("health", "semh_referrals", LOAD, REFERRALS),
    ("yos", "young_people", LOAD, YOUNG_PEOPLE),
    ("yos", "offences", LOAD, OFFENCES),
]

PERSON_KEYS = [
    *[("education", "pupil_id", agency_id("pupil_id", f"P{n}"), f"PK0{n}") for n in range(1, 9)],
    ("education", "tracking_id", agency_id("tracking_id", "T1"), "PK09"),
    ("education", "tracking_id", agency_id("tracking_id", "T2"), "PK10"),
    ("education", "tracking_id", agency_id("tracking_id", "T3"), "PK11"),
    ("social_care", "pers_person_id", agency_id("pers_person_id", "S1"), "PK01"),
    ("police", "report_id", "R1", "PK01"), ("police", "report_id", "R2", "PK07"),
    ("police", "report_id", "R3", "PK07"), ("police", "report_id", "R4", "PK12"),
    ("health", "referral_id", "H1", "PK02"), ("health", "referral_id", "H2", "PK01"),
    ("health", "referral_id", "H3", "PK04"), ("health", "referral_id", "H4", "PK08"),
    ("yos", "yot_id", agency_id("yot_id", "Y1"), "PK01"), ("yos", "yot_id", agency_id("yot_id", "Y2"), "PK07"),
    ("yos", "yot_id", agency_id("yot_id", "Y3"), "PK03"), ("yos", "yot_id", agency_id("yot_id", "Y4"), "PK13"),
]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Settings:
    settings = fresh_warehouse(tmp_path_factory.mktemp("home"), RAW_LOADS)
    with connect(settings.warehouse_path) as con:  # linkage's output
        con.executemany("insert into linkage.person_keys values (?, ?, ?, ?)", PERSON_KEYS)
    build(settings, select=f"+{' +'.join(MODELS.split())}")
    return settings


def kpi(built, model, measure, period_type, label, breakdown="all", value="all"):
    """(numerator, denominator, value) of one row of a KPI mart."""
    rows = query(built, f"""
        select numerator, denominator, value from marts.{model}
        where measure = '{measure}' and period_type = '{period_type}' and period_label = '{label}'
          and breakdown = '{breakdown}' and breakdown_value = '{value}'""")
    assert len(rows) == 1, f"{model} {measure} {period_type} {label} {breakdown}={value}: {rows}"
    return rows[0]


def test_pupils_on_roll_on_census_day(built):
    rows = query(built, """
        select person_key, census_date::varchar, school_phase, sen_provision_code, is_fsm_eligible
        from intermediate.int_pupils_on_roll where academic_year_start = date '2019-09-01' order by person_key""")
    assert rows == [  # P7 left on 2020-01-10, before census day 2020-01-16
        ("PK01", "2020-01-16", "secondary", "K", False), ("PK02", "2020-01-16", "secondary", "E", True),
        ("PK03", "2020-01-16", "secondary", "N", False), ("PK04", "2020-01-16", "secondary", "N", False),
        ("PK05", "2020-01-16", "primary", "N", False), ("PK06", "2020-01-16", "primary", "N", False),
        ("PK08", "2020-01-16", "secondary", "N", False)]


def test_every_period_of_the_history_has_a_row(built):
    # The spine runs from 2016-04 to today (no linkage night in the fixture): a month with no event has a zero row.
    months = query(built, """select count(*), min(period_start)::varchar, count_if(numerator = 0) from marts.kpi_exclusions
                             where measure = 'suspensions' and period_type = 'month' and breakdown = 'all'""")[0]
    assert months[1] == "2016-04-01" and months[0] > 100 and months[2] == months[0] - 4  # 4 months with a suspension
    assert kpi(built, "kpi_exclusions", "suspensions", "month", "2019-12") == (0, None, 0.0)
    years = query(built, """select min(period_start)::varchar from marts.kpi_eyfs_good_level_of_development
                            where period_type = 'academic_year'""")
    assert years == [("2016-09-01",)]  # the first academic year starting within the history
    assert kpi(built, "kpi_eyfs_good_level_of_development", "eyfs_good_level_of_development", "academic_year", "2018/19") \
        == (0, 0, None)


def test_kpi01_eyfs_good_level_of_development(built):
    # 2019/20: P5 GLD, P6 not -> 1 of 2 = 50%; boys: P5 1 of 1; girls: P6 0 of 1.
    model, measure = "kpi_eyfs_good_level_of_development", "eyfs_good_level_of_development"
    assert kpi(built, model, measure, "academic_year", "2019/20") == (1, 2, 50.0)
    assert kpi(built, model, measure, "academic_year", "2019/20", "sex", "M") == (1, 1, 100.0)
    assert kpi(built, model, measure, "academic_year", "2019/20", "sex", "F") == (0, 1, 0.0)


def test_kpi02_exclusions(built):
    model = "kpi_exclusions"
    # Suspensions in 2019/20 (Apr 2019 - Mar 2020): E5 2019-04-10, E1 2019-10-10, E4 2019-11-05, E2 2020-02-03 -> 4;
    # 2019/20 Q1: E5 -> 1; 2019-10: E1 -> 1. Permanent: E3 2020-03-05 -> 1.
    assert kpi(built, model, "suspensions", "financial_year", "2019/20") == (4, None, 4.0)
    assert kpi(built, model, "suspensions", "quarter", "2019/20 Q1") == (1, None, 1.0)
    assert kpi(built, model, "suspensions", "month", "2019-10") == (1, None, 1.0)
    assert kpi(built, model, "permanent_exclusions", "financial_year", "2019/20") == (1, None, 1.0)
    # Girls' suspensions in 2019/20: P1 (E1, E2), P7 (E4) -> 3.
    assert kpi(built, model, "suspensions", "financial_year", "2019/20", "sex", "F") == (3, None, 3.0)
    # Academic year 2019/20: suspensions E1, E4, E2 = 3 (P7's counts though she left) over 7 on roll.
    assert kpi(built, model, "suspension_rate", "academic_year", "2019/20") == (3, 7, pytest.approx(300 / 7))
    assert kpi(built, model, "permanent_exclusion_rate", "academic_year", "2019/20") == (1, 7, pytest.approx(100 / 7))
    # Pupils on roll with a suspension: P1 only (P7 was not on roll) -> 1 of 7; BCRB on roll P1, P3 -> 1 of 2.
    assert kpi(built, model, "pupils_suspended", "academic_year", "2019/20") == (1, 7, pytest.approx(100 / 7))
    assert kpi(built, model, "pupils_suspended", "academic_year", "2019/20", "ethnicity", "BCRB") == (1, 2, 50.0)
    # Permanently excluded: P2; WBRI on roll P2, P4, P5 -> 1 of 3; cohort ehcp (P2) 1 of 1.
    assert kpi(built, model, "pupils_permanently_excluded", "academic_year", "2019/20", "ethnicity", "WBRI") \
        == (1, 3, pytest.approx(100 / 3))
    assert kpi(built, model, "pupils_permanently_excluded", "academic_year", "2019/20", "cohort", "ehcp") == (1, 1, 100.0)


def test_kpi03_gcse_gaps(built):
    model = "kpi_gcse_gaps"
    # KS4 2019/20: P3 (BCRB) A8 40 P8 -0.6; P4 (WBRI, FSM 2016-2018: FSM6) 56, 0.2; P8 (MWBC) 60, 0.4.
    # Borough A8 (40 + 56 + 60) / 3 = 52, P8 (-0.6 + 0.2 + 0.4) / 3 = 0.
    assert kpi(built, model, "attainment8_mean", "academic_year", "2019/20") == (None, 3, pytest.approx(52.0))
    assert kpi(built, model, "progress8_mean", "academic_year", "2019/20")[2] == pytest.approx(0.0, abs=1e-12)
    # Black Caribbean (P3): 40 - 52 = -12; -0.6 - 0 = -0.6.
    assert kpi(built, model, "attainment8_gap", "academic_year", "2019/20", "ethnicity", "BCRB") == (None, 1, pytest.approx(-12.0))
    assert kpi(built, model, "progress8_gap", "academic_year", "2019/20", "ethnicity", "BCRB")[2] == pytest.approx(-0.6)
    # White British FSM (P4): 56 - 52 = +4; 0.2 - 0 = 0.2.
    assert kpi(built, model, "attainment8_gap", "academic_year", "2019/20", "cohort", "white_british_fsm") \
        == (None, 1, pytest.approx(4.0))
    assert kpi(built, model, "progress8_gap", "academic_year", "2019/20", "cohort", "white_british_fsm")[2] == pytest.approx(0.2)


def test_kpi04_neet(built):
    model = "kpi_neet"
    # T1 (16): Dec NEET, Jan NEET, Feb EDU. T2 (17): Dec EDU, Jan UNK, Feb EMP. T3 is 18: outside.
    # Dec 1 of 2; Jan 2 of 2 (NEET + not known); Feb 0 of 2; November nobody.
    assert kpi(built, model, "neet_or_not_known", "month", "2019-12") == (1, 2, 50.0)
    assert kpi(built, model, "neet_or_not_known", "month", "2020-01") == (2, 2, 100.0)
    assert kpi(built, model, "neet_or_not_known", "month", "2020-02") == (0, 2, 0.0)
    assert kpi(built, model, "neet_or_not_known", "month", "2019-11") == (0, 0, None)
    # Annual 2019/20 = Dec + Jan + Feb: 3 of 6 = 50%; NEET 2 of 6; not known 1 of 6; girls (T1) 2 of 3.
    assert kpi(built, model, "neet_or_not_known", "academic_year", "2019/20") == (3, 6, 50.0)
    assert kpi(built, model, "neet", "academic_year", "2019/20") == (2, 6, pytest.approx(100 / 3))
    assert kpi(built, model, "activity_not_known", "academic_year", "2019/20") == (1, 6, pytest.approx(100 / 6))
    assert kpi(built, model, "neet_or_not_known", "academic_year", "2019/20", "sex", "F") == (2, 3, pytest.approx(200 / 3))


def test_kpi10_missing_children(built):
    model = "kpi_missing_children"
    # From care: P1's M1 2019-07-01 (interview offered, accepted) and M2 2019-08-15 (offered, declined).
    # From home: R1 (P1, in care since 2019-06-01) no; R2 2019-09-20 and R3 2019-10-01 (P7) yes; R4 an adult, no.
    assert kpi(built, model, "children_missing_from_care", "financial_year", "2019/20") == (1, None, 1.0)
    assert kpi(built, model, "missing_episodes_from_care", "financial_year", "2019/20") == (2, None, 2.0)
    assert kpi(built, model, "children_missing_from_home", "financial_year", "2019/20") == (1, None, 1.0)
    assert kpi(built, model, "missing_episodes_from_home", "financial_year", "2019/20") == (2, None, 2.0)
    assert kpi(built, model, "children_missing", "financial_year", "2019/20") == (2, None, 2.0)
    # 2019/20 Q2 (Jul-Sep): M1, M2, R2 -> 3 episodes; 2019-10: R3 -> 1.
    assert kpi(built, model, "missing_episodes", "quarter", "2019/20 Q2") == (3, None, 3.0)
    assert kpi(built, model, "missing_episodes", "month", "2019-10") == (1, None, 1.0)
    # Interviews: offered 2 of 2 ended episodes, accepted 1 of 2.
    assert kpi(built, model, "return_home_interviews_offered", "financial_year", "2019/20") == (2, 2, 100.0)
    assert kpi(built, model, "return_home_interviews_accepted", "financial_year", "2019/20") == (1, 2, 50.0)
    # Both children are girls; P1 is Black Caribbean.
    assert kpi(built, model, "children_missing", "financial_year", "2019/20", "sex", "F") == (2, None, 2.0)
    assert kpi(built, model, "children_missing", "financial_year", "2019/20", "ethnicity", "BCRB") == (1, None, 1.0)


def test_kpi12_semh_first_appointments(built):
    model, measure = "kpi_semh_first_appointments", "first_appointment_within_28_days"
    # 2019/20 Q1 (and the year): H1 19 days (within), H2 41 days, H3 never seen -> 1 of 3.
    assert kpi(built, model, measure, "quarter", "2019/20 Q1") == (1, 3, pytest.approx(100 / 3))
    assert kpi(built, model, measure, "financial_year", "2019/20") == (1, 3, pytest.approx(100 / 3))
    assert kpi(built, model, "semh_referrals", "month", "2019-05") == (2, None, 2.0)
    # Girls (H2, H3): 0 of 2.
    assert kpi(built, model, measure, "financial_year", "2019/20", "sex", "F") == (0, 2, 0.0)
    # H4 (2020-05-20) was 12 days old at the load of 2020-06-01: awaiting, not in the denominator.
    assert kpi(built, model, measure, "month", "2020-05") == (0, 0, None)
    assert kpi(built, model, "semh_referrals_awaiting", "financial_year", "2020/21") == (1, None, 1.0)


def test_yos_cohort_overlaps(built):
    model = "kpi_yos_cohort_overlaps"
    # 2019/20 cohort: P1 (caution), P7 (referral order), Y4 (caution); P3's community resolution does not count.
    # As at 2020-03-31: SEN support P1; no EHCP; excluded P1 (E1), P7 (E4); looked after P1.
    assert kpi(built, model, "yos_cohort", "financial_year", "2019/20") == (3, None, 3.0)
    assert kpi(built, model, "yos_cohort_with_sen", "financial_year", "2019/20") == (1, 3, pytest.approx(100 / 3))
    assert kpi(built, model, "yos_cohort_with_sen_support", "financial_year", "2019/20") == (1, 3, pytest.approx(100 / 3))
    assert kpi(built, model, "yos_cohort_with_ehcp", "financial_year", "2019/20") == (0, 3, 0.0)
    assert kpi(built, model, "yos_cohort_ever_suspended_or_excluded", "financial_year", "2019/20") \
        == (2, 3, pytest.approx(200 / 3))
    assert kpi(built, model, "yos_cohort_ever_looked_after", "financial_year", "2019/20") == (1, 3, pytest.approx(100 / 3))
    # Girls in the cohort: P1 and P7, both excluded -> 2 of 2.
    assert kpi(built, model, "yos_cohort_ever_suspended_or_excluded", "financial_year", "2019/20", "sex", "F") \
        == (2, 2, 100.0)
    # Secondary pupils on roll in January 2020: P1 (K), P2 (E), P3, P4, P8 = 5. SEN 2, support 1, EHCP 1;
    # excluded by 2020-03-31: P1 (E1), P2 (E3 2020-03-05), P3 (E5 2019-04-10) = 3; looked after P1 = 1.
    assert kpi(built, model, "secondary_pupils_with_sen", "financial_year", "2019/20") == (2, 5, 40.0)
    assert kpi(built, model, "secondary_pupils_with_sen_support", "financial_year", "2019/20") == (1, 5, 20.0)
    assert kpi(built, model, "secondary_pupils_with_ehcp", "financial_year", "2019/20") == (1, 5, 20.0)
    assert kpi(built, model, "secondary_pupils_ever_suspended_or_excluded", "financial_year", "2019/20") == (3, 5, 60.0)
    assert kpi(built, model, "secondary_pupils_ever_looked_after", "financial_year", "2019/20") == (1, 5, 20.0)
    # The year before (2018/19): nobody in the cohort, a zero row.
    assert kpi(built, model, "yos_cohort", "financial_year", "2018/19") == (0, None, 0.0)
