"""The youth-justice and crime KPI marts (issue 5) on a small hand-built borough: a dozen people and a
few crimes, loaded as the loader would, keyed by hand, built by the real dbt project. Every expected
figure is worked out by hand next to its assertion; the fixture does not come from the generator."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from youth_safety.dbt_runner import build
from youth_safety.identifiers import make_pnc_id
from youth_safety.warehouse import connect

from dbt_fixtures import agency_id, fresh_warehouse, query

LOAD = ("load-1", datetime(2021, 11, 30, 2, 0), "2021-11-30")
FY2017, FY2018, FY2019, FY2020 = date(2017, 4, 1), date(2018, 4, 1), date(2019, 4, 1), date(2020, 4, 1)

# The children and young people. Age on 2019-04-01 (the 2019/20 population date) in brackets.
#   C1 Y01 M BCRB 2004-01 (15)   C2 Y02 F WBRI 2003-06 (15)   C3 Y03 M WBRI 2001-01 (18)
#   C4 Y04 M WBRI 2005-02 (14)   C5 Y05 M BAFR 2004-05 (14)   C6 Y06 F WBRI 2006-01 (13)
#   C7 Y07 M  --  2005-01 (14)
#   Victims known only to the police: V8 F WBRI 2002-07 (16), V9 F 1999-03 (20), V10 M 1994-11 (24),
#   V11 M 1994-09 (24), V12 F 1999-11 (19).
# The 10-17 population of 2019/20: C1, C2, C4, C5, C6, C7, V8 = 7; BCRB 1 (C1), BAFR 1 (C5), WBRI 4 (C2, C4, C6, V8).
YOUNG_PEOPLE = [
    ("Y01", "Amir", "2004-01-15", "M", "BCRB"), ("Y02", "Bea", "2003-06-20", "F", "WBRI"),
    ("Y03", "Cal", "2001-01-10", "M", "WBRI"), ("Y04", "Dev", "2005-02-01", "M", "WBRI"),
    ("Y05", "Eli", "2004-05-03", "M", "BAFR"), ("Y06", "Fay", "2006-01-05", "F", "WBRI"),
    ("Y07", "Gus", "2005-01-01", "M", None),
]
DOB = {yot: dob for yot, _, dob, _, _ in YOUNG_PEOPLE}

# YOS offences and outcomes (offence id, YOT id, offence date, outcome date, outcome).
OFFENCES = [
    ("O1", "Y01", "2019-03-01", "2019-04-10", "YC"),    # C1's index outcome (2019/20 Q1 and FY), aged 15
    ("O2", "Y01", "2019-08-01", "2019-10-01", "DTO"),   # reoffence; custody at 15; index of 2019/20 Q3
    ("O3", "Y01", "2020-04-10", "2020-10-10", "YC"),    # committed 12 months to the day, outcome 18 months to the day: counts
    ("O4", "Y02", "2019-05-01", "2019-05-15", "YCC"),   # C2's index outcome
    ("O5", "Y02", "2020-01-01", "2020-12-01", "RO"),    # inside the year, outcome after the waiting period (2020-11-15): not
    ("O6", "Y02", "2020-05-20", "2020-07-01", "RO"),    # committed after the year (2020-05-15): not
    ("O7", "Y03", "2019-05-01", "2019-06-01", "FINE"),  # C3 is 18: not a child
    ("O8", "Y04", "2019-05-01", "2019-06-10", "CR"),    # community resolution: not substantive
    ("O9", "Y05", "2019-06-01", "2019-07-15", "YC"),    # C5's index outcome (2019/20 Q2)
    ("O10", "Y05", "2019-09-01", "2019-12-01", "DTO"),  # two reoffences sentenced together:
    ("O11", "Y05", "2019-09-02", "2019-12-01", "DTO"),  #   two reoffences, one custodial sentence
    ("O12", "Y06", "2019-10-01", "2019-11-01", "YC"),   # C6's index outcome (Q3), aged 13, no reoffence
    ("O13", "Y07", "2021-09-01", "2021-10-01", "NFA"),  # the latest outcome date: 2021-10-01
]

CRIME = {"recorded_date": "2021-11-01", "ward_code": "E05013697", "lsoa_code": "E01002700", "knife_flag": "N",
         "firearm_flag": "N", "domestic_abuse_flag": "N", "syv_flag": "N", "injury_flag": "N"}
CRIMES = [
    {**CRIME, "crime_ref": "K1", "offence_code": "005/01", "committed_date": "2019-06-15", "knife_flag": "Y", "injury_flag": "Y", "syv_flag": "Y"},
    {**CRIME, "crime_ref": "K2", "offence_code": "008/01", "committed_date": "2019-07-01", "knife_flag": "Y", "injury_flag": "Y", "domestic_abuse_flag": "Y"},
    {**CRIME, "crime_ref": "K3", "offence_code": "008/02", "committed_date": "2019-09-01", "knife_flag": "Y", "injury_flag": "Y"},
    {**CRIME, "crime_ref": "K4", "offence_code": "008/02", "committed_date": "2019-10-01", "knife_flag": "Y", "injury_flag": "Y"},
    {**CRIME, "crime_ref": "K5", "offence_code": "034/02", "committed_date": "2020-02-01", "firearm_flag": "Y", "syv_flag": "Y"},
    {**CRIME, "crime_ref": "K6", "offence_code": "046/00", "committed_date": "2019-08-01"},
    {**CRIME, "crime_ref": "K7", "offence_code": "034/02", "committed_date": "2019-12-01", "syv_flag": "Y"},
    {**CRIME, "crime_ref": "K8", "offence_code": "049/00", "committed_date": "2017-06-01", "knife_flag": "Y"},
    {**CRIME, "crime_ref": "K9", "offence_code": "008/02", "committed_date": "2020-12-01", "knife_flag": "Y", "injury_flag": "Y"},
]
INVOLVEMENT = {"role": "VICTIM", "surname": "Smith", "pnc_id": None}
INVOLVEMENTS = [  # (id, crime, role, forename, dob, sex, police ethnicity)
    ("I1", "K1", "VICTIM", "Hana", "2002-07-10", "F", "W1"),   # V8, 16 on 2019-06-15
    ("I2", "K1", "SUSPECT", "Amir", "2004-01-15", "M", "B1"),  # C1, a suspect: never a victim count
    ("I3", "K2", "VICTIM", "Ivy", "1999-03-01", "F", None),    # V9, 20
    ("I4", "K3", "VICTIM", "Jon", "1994-11-20", "M", None),    # V10, 24 on 2019-09-01
    ("I5", "K4", "VICTIM", "Kai", "1994-09-05", "M", None),    # V11, 25 on 2019-10-01
    ("I6", "K5", "VICTIM", "Bea", "2003-06-20", "F", "W1"),    # C2, 16 on 2020-02-01
    ("I7", "K7", "VICTIM", "Lou", "1999-11-01", "F", None),    # V12, 20 on 2019-12-01
    ("I8", "K9", "VICTIM", "Max", "2005-08-14", "M", None),    # V13, 15 on 2020-12-01, not linked yet (no person key)
]
ARRESTS = [  # (id, YOT id of the arrested child, date)
    ("A1", "Y01", "2019-05-01"), ("A2", "Y01", "2019-06-01"),  # C1 twice at 15: one child
    ("A3", "Y03", "2019-07-01"),                               # C3 at 18: not a child
    ("A6", "Y06", "2019-10-01"), ("A7", "Y06", "2019-12-01"),  # C6 twice at 13: one child
]
NRM = [  # (id, YOT id, referral date, reasonable grounds, conclusive grounds, safety plan)
    ("N1", "Y02", "2019-06-01", "POS", "POS", "Y"),  # C2, girl, 15
    ("N2", "Y04", "2019-07-01", "POS", "NEG", "N"),  # C4, boy, 14
    ("N3", "Y03", "2019-08-01", "POS", None, "Y"),   # C3 is 18: not a child
    ("N4", "Y06", "2020-01-10", "NEG", None, None),  # C6, girl, 14
]

PERSON_KEYS = {  # person key -> (source, entity, record id) of each of their records
    "PK01": [("yos", "yot_id", "Y01"), ("police", "involvement_id", "I2"), ("police", "arrest_id", "A1"), ("police", "arrest_id", "A2")],
    "PK02": [("yos", "yot_id", "Y02"), ("police", "involvement_id", "I6")],
    "PK03": [("yos", "yot_id", "Y03"), ("police", "arrest_id", "A3")],
    "PK04": [("yos", "yot_id", "Y04")],
    "PK05": [("yos", "yot_id", "Y05")],
    "PK06": [("yos", "yot_id", "Y06"), ("police", "arrest_id", "A6"), ("police", "arrest_id", "A7")],
    "PK07": [("yos", "yot_id", "Y07")],
    "PK08": [("police", "involvement_id", "I1")],
    "PK09": [("police", "involvement_id", "I3")],
    "PK10": [("police", "involvement_id", "I4")],
    "PK11": [("police", "involvement_id", "I5")],
    "PK12": [("police", "involvement_id", "I7")],
}

MODELS = ["kpi_proven_reoffending", "kpi_nrm_referrals", "kpi_serious_youth_violence", "kpi_knife_crime_with_injury",
          "kpi_crime_measures", "kpi_youth_justice_stages", "kpi_first_time_entrants", "kpi_disproportionality"]


def _loads():
    names = {yot: name for yot, name, _, _, _ in YOUNG_PEOPLE}
    return [
        ("yos", "young_people", LOAD, [
            {"yot_id": yot, "forename": name, "surname": "Smith", "dob": dob, "sex": sex, "ethnicity": ethnicity}
            for yot, name, dob, sex, ethnicity in YOUNG_PEOPLE]),
        ("yos", "offences", LOAD, [
            {"offence_id": o, "yot_id": yot, "offence_date": committed, "offence_code": "105/01", "outcome_date": outcome,
             "outcome": code} for o, yot, committed, outcome, code in OFFENCES]),
        ("yos", "nrm_referrals", LOAD, [
            {"nrm_id": n, "yot_id": yot, "referral_date": day, "exploitation_type": "CCE",
             "reasonable_grounds_decision": rg, "conclusive_grounds_decision": cg, "safety_plan_recorded": plan}
            for n, yot, day, rg, cg, plan in NRM]),
        ("police", "crimes", LOAD, CRIMES),
        ("police", "involvements", LOAD, [
            {**INVOLVEMENT, "involvement_id": i, "crime_ref": crime, "role": role, "forename": name, "dob": dob, "sex": sex,
             "ethnicity": ethnicity} for i, crime, role, name, dob, sex, ethnicity in INVOLVEMENTS]),
        ("police", "arrests", LOAD, [
            {"arrest_id": a, "crime_ref": None, "arrest_date": day, "offence_code": "046/00", "forename": names[yot],
             "surname": "Smith", "dob": DOB[yot], "sex": "M" if yot != "Y06" else "F",
             "pnc_id": make_pnc_id(2019, number)} for number, (a, yot, day) in enumerate(ARRESTS, start=1)]),
    ]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    settings = fresh_warehouse(tmp_path_factory.mktemp("home"), _loads())
    with connect(settings.warehouse_path) as con:
        con.executemany("insert into linkage.person_keys values (?, ?, ?, ?)", [
            (source, entity, agency_id(entity, record) if entity == "yot_id" else record, person_key)
            for person_key, records in PERSON_KEYS.items() for source, entity, record in records])
        # The latest linkage night ends the reporting periods: months up to 2021-11.
        con.executemany("insert into linkage.person_key_history values (?, 'created', ?, null, 1, null)",
                        [(date(2021, 11, 30), person_key) for person_key in PERSON_KEYS])
    build(settings, select=" ".join(f"+{model}" for model in MODELS))
    return settings


def kpi(settings, model, measure, period_start, period_type="financial_year", breakdown="all", value="all"):
    """(numerator, denominator, value) of one KPI row, or None if there is no such row."""
    rows = query(settings, f"""
        select numerator, denominator, value from marts.{model}
        where measure = '{measure}' and period_type = '{period_type}' and period_start = '{period_start}'
          and breakdown = '{breakdown}' and breakdown_value = '{value}'""")
    assert len(rows) <= 1
    return rows[0] if rows else None


def test_every_period_of_the_history_has_a_row(built):
    # Months 2016-04 to 2021-11 (the latest linkage night): 68 months, 23 quarters, 6 financial years.
    for model, measure in [("kpi_crime_measures", "total_notifiable_offences"),
                           ("kpi_knife_crime_with_injury", "knife_crime_with_injury_victims_under_25_non_da"),
                           ("kpi_serious_youth_violence", "serious_youth_violence_victims"),
                           ("kpi_nrm_referrals", "nrm_referrals"),
                           ("kpi_youth_justice_stages", "children_arrested"),
                           ("kpi_youth_justice_stages", "custodial_sentences")]:
        assert query(built, f"""
            select period_type, count(*), min(period_start), max(period_start) from marts.{model}
            where measure = '{measure}' and breakdown = 'all' group by 1 order by 1""") == [
            ("financial_year", 6, date(2016, 4, 1), date(2021, 4, 1)),
            ("month", 68, date(2016, 4, 1), date(2021, 11, 1)),
            ("quarter", 23, date(2016, 4, 1), date(2021, 10, 1)),
        ], f"{model}.{measure}"


def test_crime_measures(built):
    # 2019/20: K1-K7 committed in the year -> 7 notifiable offences; knife K1, K2, K3, K4 -> 4
    # (domestic abuse and injury do not matter here); firearm K5 -> 1.
    assert kpi(built, "kpi_crime_measures", "total_notifiable_offences", FY2019) == (7, None, 7.0)
    assert kpi(built, "kpi_crime_measures", "knife_crime_offences", FY2019) == (4, None, 4.0)
    assert kpi(built, "kpi_crime_measures", "gun_crime_offences", FY2019) == (1, None, 1.0)
    # 2017/18: K8, a knife theft -> 1 / 1 / 0; 2018/19: nothing happened -> zeros, not missing rows.
    assert kpi(built, "kpi_crime_measures", "knife_crime_offences", FY2017) == (1, None, 1.0)
    assert kpi(built, "kpi_crime_measures", "gun_crime_offences", FY2017) == (0, None, 0.0)
    assert kpi(built, "kpi_crime_measures", "total_notifiable_offences", FY2018) == (0, None, 0.0)
    # By month: 2019-06 holds K1 only.
    assert kpi(built, "kpi_crime_measures", "knife_crime_offences", date(2019, 6, 1), "month") == (1, None, 1.0)
    # Crimes, not people: no breakdown but 'all'.
    assert query(built, "select distinct breakdown from marts.kpi_crime_measures") == [("all",)]


def test_knife_crime_with_injury_non_da_under_25(built):
    # 2019/20: K1 knife + injury, non-DA, victim V8 aged 16 -> counted (the suspect C1 is not a victim);
    # K2 DA -> not; K3 victim V10 aged 24 -> counted; K4 victim V11 aged 25 -> not. Total 2.
    measure = "knife_crime_with_injury_victims_under_25_non_da"
    assert kpi(built, "kpi_knife_crime_with_injury", measure, FY2019) == (2, None, 2.0)
    assert kpi(built, "kpi_knife_crime_with_injury", measure, FY2019, breakdown="sex", value="F") == (1, None, 1.0)  # V8
    assert kpi(built, "kpi_knife_crime_with_injury", measure, FY2019, breakdown="sex", value="M") == (1, None, 1.0)  # V10
    assert kpi(built, "kpi_knife_crime_with_injury", measure, FY2019, breakdown="age_band", value="15-17") == (1, None, 1.0)
    assert kpi(built, "kpi_knife_crime_with_injury", measure, FY2019, breakdown="age_band", value="18-24") == (1, None, 1.0)
    # 2019/20 Q2 (Jul-Sep): K2 (DA) and K3 (V10) -> 1.
    assert kpi(built, "kpi_knife_crime_with_injury", measure, date(2019, 7, 1), "quarter") == (1, None, 1.0)
    assert kpi(built, "kpi_knife_crime_with_injury", measure, FY2018) == (0, None, 0.0)
    # 2020/21: K9, victim V13 aged 15, not linked yet -> 1; his breakdowns are unknown but for the age band
    # (from the involvement's birth month). No one in the 0-24 population has an unknown sex: the cell must
    # still be there, or the sex rows would not add up to the total.
    assert kpi(built, "kpi_knife_crime_with_injury", measure, FY2020) == (1, None, 1.0)
    assert kpi(built, "kpi_knife_crime_with_injury", measure, FY2020, breakdown="sex", value="unknown") == (1, None, 1.0)
    assert kpi(built, "kpi_knife_crime_with_injury", measure, FY2020, breakdown="sex", value="M") == (0, None, 0.0)
    assert kpi(built, "kpi_knife_crime_with_injury", measure, FY2020, breakdown="age_band", value="15-17") == (1, None, 1.0)


def test_breakdowns_add_up_to_the_total(built):
    # sex, age_band, ethnicity_group and ethnicity each partition the 'all' row: no counted cell is left out.
    for model in (m for m in MODELS if m != "kpi_disproportionality"):
        assert query(built, f"""
            with parts as (
                select measure, period_type, period_start, breakdown, sum(numerator) as numerator
                from marts.{model}
                where breakdown in ('sex', 'age_band', 'ethnicity_group', 'ethnicity')
                group by all
            )
            select parts.*, total.numerator from parts
            inner join marts.{model} as total using (measure, period_type, period_start)
            where total.breakdown = 'all' and parts.numerator <> total.numerator""") == [], model


def test_serious_youth_violence(built):
    # Flagged SYV in 2019/20: K1 (victim V8, 16), K5 (victim C2, 16), K7 (victim V12, 20: not 1-19).
    # Victims 2: both girls, both 15-17, both WBRI; offences 3 (K7 counts as an offence, not a victim).
    assert kpi(built, "kpi_serious_youth_violence", "serious_youth_violence_victims", FY2019) == (2, None, 2.0)
    assert kpi(built, "kpi_serious_youth_violence", "serious_youth_violence_victims", FY2019, breakdown="sex", value="F") == (2, None, 2.0)
    assert kpi(built, "kpi_serious_youth_violence", "serious_youth_violence_victims", FY2019, breakdown="sex", value="M") == (0, None, 0.0)
    assert kpi(built, "kpi_serious_youth_violence", "serious_youth_violence_victims", FY2019,
               breakdown="ethnicity", value="WBRI") == (2, None, 2.0)
    assert kpi(built, "kpi_serious_youth_violence", "serious_youth_violence_offences", FY2019) == (3, None, 3.0)
    # Q4 (Jan-Mar 2020): K5 -> 1 victim.
    assert kpi(built, "kpi_serious_youth_violence", "serious_youth_violence_victims", date(2020, 1, 1), "quarter") == (1, None, 1.0)


def test_youth_justice_stages(built):
    # 2019/20, population aged 10-17 on 2019-04-01: 7 (BCRB 1, BAFR 1, WBRI 4).
    # Arrested: C1 (twice, 15) and C6 (twice, 13); C3 is 18 -> 2 children: 2 / 7 x 1,000.
    assert kpi(built, "kpi_youth_justice_stages", "children_arrested", FY2019) == (2, 7, pytest.approx(2000 / 7))
    assert kpi(built, "kpi_youth_justice_stages", "children_arrested", FY2019, breakdown="ethnicity", value="BCRB") == (1, 1, 1000.0)
    assert kpi(built, "kpi_youth_justice_stages", "children_arrested", FY2019, breakdown="ethnicity", value="WBRI") == (1, 4, 250.0)
    # The age bands partition the children: C1 15-17, C6 10-14.
    assert kpi(built, "kpi_youth_justice_stages", "children_arrested", FY2019, breakdown="age_band", value="10-14")[0] == 1
    # Custody: C1 DTO 2019-10-01 (15), C5 two DTOs on 2019-12-01 (15) -> 2 children, 2 sentences.
    assert kpi(built, "kpi_youth_justice_stages", "children_sentenced_to_custody", FY2019) == (2, 7, pytest.approx(2000 / 7))
    assert kpi(built, "kpi_youth_justice_stages", "children_sentenced_to_custody", FY2019,
               breakdown="ethnicity", value="BAFR") == (1, 1, 1000.0)
    assert kpi(built, "kpi_youth_justice_stages", "children_sentenced_to_custody", FY2019,
               breakdown="ethnicity", value="WBRI") == (0, 4, 0.0)
    assert kpi(built, "kpi_youth_justice_stages", "custodial_sentences", FY2019) == (2, None, 2.0)
    assert kpi(built, "kpi_youth_justice_stages", "custodial_sentences", FY2018) == (0, None, 0.0)
    assert query(built, "select distinct kpi_code, measure from marts.kpi_youth_justice_stages order by 2") == [
        ("KPI08", "children_arrested"), ("KPI08", "children_sentenced_to_custody"), ("FIG1", "custodial_sentences")]


def test_nrm_referrals(built):
    # 2019/20: N1 (C2), N2 (C4), N4 (C6); N3's C3 is 18 -> 3 referrals of children.
    # Reasonable grounds positive N1, N2 -> 2 / 3; conclusive positive N1 -> 1 / 3;
    # safety plan: of the positive N1, N2, N1 has one -> 1 / 2 = 50%.
    assert kpi(built, "kpi_nrm_referrals", "nrm_referrals", FY2019) == (3, None, 3.0)
    assert kpi(built, "kpi_nrm_referrals", "positive_reasonable_grounds_pct", FY2019) == (2, 3, pytest.approx(200 / 3))
    assert kpi(built, "kpi_nrm_referrals", "positive_conclusive_grounds_pct", FY2019) == (1, 3, pytest.approx(100 / 3))
    assert kpi(built, "kpi_nrm_referrals", "safety_plan_after_positive_decision_pct", FY2019) == (1, 2, 50.0)
    # Girls: N1 (C2), N4 (C6) -> 2 referrals, RG 1 / 2, CG 1 / 2, plan 1 / 1.
    assert kpi(built, "kpi_nrm_referrals", "nrm_referrals", FY2019, breakdown="sex", value="F") == (2, None, 2.0)
    assert kpi(built, "kpi_nrm_referrals", "positive_conclusive_grounds_pct", FY2019, breakdown="sex", value="F") == (1, 2, 50.0)
    assert kpi(built, "kpi_nrm_referrals", "safety_plan_after_positive_decision_pct", FY2019,
               breakdown="sex", value="F") == (1, 1, 100.0)
    # No referral in 2018/19: count 0, shares undefined (null), not missing.
    assert kpi(built, "kpi_nrm_referrals", "nrm_referrals", FY2018) == (0, None, 0.0)
    assert kpi(built, "kpi_nrm_referrals", "positive_reasonable_grounds_pct", FY2018) == (0, 0, None)


def test_proven_reoffending(built):
    # FY 2019/20 cohort (first substantive outcome in the year, aged 10-17): C1 (2019-04-10), C2 (2019-05-15),
    # C5 (2019-07-15), C6 (2019-11-01); C3 is 18, C4 had a community resolution.
    # C1: O2 (committed 2019-08-01, DTO 2019-10-01) and O3 (committed 12 months to the day after, outcome
    #     18 months to the day after) -> 2 reoffences.
    # C2: O5 committed inside the year but its outcome (2020-12-01) comes after the waiting period (2020-11-15);
    #     O6 committed after the year -> not a reoffender (with either edge wrong the rate would be 3 / 4).
    # C5: O10 and O11 -> 2 reoffences. C6: none.
    # Binary 2 / 4 = 50%; frequency 4 / 2 = 2.
    assert kpi(built, "kpi_proven_reoffending", "reoffending_binary_rate", FY2019) == (2, 4, 50.0)
    assert kpi(built, "kpi_proven_reoffending", "reoffences_per_reoffender", FY2019) == (4, 2, 2.0)
    # Girls: C2, C6 -> 0 / 2; frequency over no reoffender is null.
    assert kpi(built, "kpi_proven_reoffending", "reoffending_binary_rate", FY2019, breakdown="sex", value="F") == (0, 2, 0.0)
    assert kpi(built, "kpi_proven_reoffending", "reoffences_per_reoffender", FY2019, breakdown="sex", value="F") == (0, 0, None)
    # 3-month cohorts. Q1 (Apr-Jun): C1, C2 -> 1 / 2, frequency 2. Q2: C5 -> 1 / 1.
    # Q3 (Oct-Dec): C1 again (DTO 2019-10-01; O3 committed 2020-04-10 follows it) -> 1, C5 (DTO 2019-12-01, nothing
    # after) -> 0, C6 -> 0: 1 / 3.
    assert kpi(built, "kpi_proven_reoffending", "reoffending_binary_rate", date(2019, 4, 1), "quarter") == (1, 2, 50.0)
    assert kpi(built, "kpi_proven_reoffending", "reoffences_per_reoffender", date(2019, 4, 1), "quarter") == (2, 1, 2.0)
    assert kpi(built, "kpi_proven_reoffending", "reoffending_binary_rate", date(2019, 7, 1), "quarter") == (1, 1, 100.0)
    assert kpi(built, "kpi_proven_reoffending", "reoffending_binary_rate", date(2019, 10, 1), "quarter") == (
        1, 3, pytest.approx(100 / 3))
    # An empty but final cohort: 2018/19 -> 0 / 0, value null.
    assert kpi(built, "kpi_proven_reoffending", "reoffending_binary_rate", FY2018) == (0, 0, None)
    # Only final cohorts: the latest outcome is 2021-10-01. 2019/20 (ends 2020-03-31, + 18 months 2021-09-30) is
    # final; 2020/21 and 2020/21 Q1 (2020-06-30 + 18 months = 2021-12-30) are not reported.
    assert kpi(built, "kpi_proven_reoffending", "reoffending_binary_rate", FY2020) is None
    assert query(built, """
        select period_type, max(period_start) from marts.kpi_proven_reoffending group by 1 order by 1""") == [
        ("financial_year", FY2019), ("quarter", date(2020, 1, 1))]


def test_first_time_entrants(built):
    # First substantive outcome at 10-17: C1 YC 2019-04-10 (15), C2 YCC 2019-05-15 (15), C5 YC 2019-07-15 (15),
    # C6 YC 2019-11-01 (13) -> 4 in 2019/20. Not: C3's fine at 18, C4's community resolution, C7's NFA;
    # C1's and C5's later outcomes are not first. Per 100,000 of the 7 aged 10-17: 4 / 7 -> 57,142.9.
    numerator, denominator, value = kpi(built, "kpi_first_time_entrants", "first_time_entrants", FY2019)
    assert (numerator, denominator, round(value, 1)) == (4, 7, 57142.9)
    # Girls: C2 and C6 of C2, C6, V8 -> 2 / 3.
    assert kpi(built, "kpi_first_time_entrants", "first_time_entrants", FY2019, breakdown="sex", value="F")[:2] == (2, 3)
    # Quarters: Q1 C1, C2; Q2 C5; Q3 C6; Q4 none.
    assert [kpi(built, "kpi_first_time_entrants", "first_time_entrants", day, "quarter")[0]
            for day in (FY2019, date(2019, 7, 1), date(2019, 10, 1), date(2020, 1, 1))] == [2, 1, 1, 0]
    assert kpi(built, "kpi_first_time_entrants", "first_time_entrants", FY2018)[0] == 0


def test_relative_rate_index_for_first_time_entry(built):
    # 2019/20, against White British peers: WBRI entrants C2, C6 of WBRI population C2, C4, C6, V8 -> 2 / 4.
    # BCRB: C1 of C1 -> 1 / 1; RRI = 1 / 0.5 = 2.00; log SE = sqrt(1/1 - 1/1 + 1/2 - 1/4) = 0.5;
    # 95% CI = 2 x exp(-+0.98) = 0.75 to 5.33. BAFR: C5 of C5 -> the same.
    rows = query(built, """
        select ethnicity_code, group_count, group_population, reference_count, reference_population, rri, rri_lower_95, rri_upper_95
        from marts.kpi_disproportionality where stage = 'first_time_entry' and period_start = '2019-04-01' order by 1""")
    assert rows == [("BAFR", 1, 1, 2, 4, 2.0, 0.75, 5.33), ("BCRB", 1, 1, 2, 4, 2.0, 0.75, 5.33)]

