"""The person marts: the incremental facts end up as a full refresh would, and the monthly features are
point in time (features at a date are the same when every later raw row is gone)."""

from __future__ import annotations

import shutil
from datetime import date, datetime

import pytest

from youth_safety.config import Settings
from youth_safety.contracts import get_contract
from youth_safety.dbt_runner import build
from youth_safety.identifiers import make_pnc_id
from youth_safety.privacy.layout import token_role
from youth_safety.privacy.tokens import tokenise
from youth_safety.warehouse import connect

from dbt_fixtures import KEY, fresh_warehouse, load_raw, pupil, query

FIRST_LOAD = ("load-1", datetime(2024, 1, 6, 2, 0), "2024-01-06")
SECOND_LOAD = ("load-2", datetime(2024, 1, 7, 2, 0), "2024-01-07")
FACTS = {"fct_attendance": "attendance_id", "fct_police_involvements": "involvement_id", "fct_person_events": "event_id"}
MARTS = "+fct_person_events +fct_attendance +fct_police_involvements +fct_person_features_monthly"
SNAPSHOT = "2023-06-30"  # the leakage test's date S: events on it count, events the day after do not


def token(source: str, extract: str, field: str, value: str) -> str:
    """The token the loader writes for an agency id (pseudonymised in the warehouse)."""
    role, kind = token_role(get_contract(source, extract).field(field))
    return tokenise(KEY, role, [value], kind=kind)[0]


def pupil_row(pupil_id, dob, school_urn, entry_date, leaving_date=None):
    return {"pupil_id": pupil_id, "surname": "Test", "forename": "Child", "dob": dob, "sex": "F", "sen_provision": "N",
            "school_urn": school_urn, "year_group": "7", "entry_date": entry_date, "leaving_date": leaving_date}


def attendance(pupil_id, academic_year, term, possible, absent, school_urn="100450"):
    return {"pupil_id": pupil_id, "school_urn": school_urn, "academic_year": academic_year, "term": term,
            "sessions_possible": str(possible), "sessions_authorised": str(absent), "sessions_unauthorised": "0"}


def crime(ref, committed, recorded):
    return {"crime_ref": ref, "offence_code": "008/01", "committed_date": committed, "recorded_date": recorded,
            "ward_code": "E05013697", "lsoa_code": "E01002700", "knife_flag": "Y", "firearm_flag": "N",
            "domestic_abuse_flag": "N", "syv_flag": "Y", "injury_flag": "Y"}


POLICE_PERSON = {"forename": "Al", "surname": "Test", "dob": "2010-05-06", "sex": "M"}

# Person A (pupils PA, PA's second school; social care SA; YOS YA; police and health records), person B (pupil PB,
# two enrolments; a police victim), person C (pupil PC; erased later). Events fall either side of SNAPSHOT.
RAW_LOADS = [
    ("education", "pupils", FIRST_LOAD, [
        pupil_row("PA", "2010-05-06", "100400", "2017-09-04", "2021-07-20"), pupil_row("PA", "2010-05-06", "100450", "2021-09-01"),
        pupil_row("PB", "2011-02-03", "100401", "2018-09-04", "2022-07-20"), pupil_row("PB", "2011-02-03", "100451", "2022-09-01"),
        pupil_row("PC", "2012-03-04", "100402", "2019-09-04"), pupil_row("PA", "2010-05-06", "100452", "2023-09-04")]),
    ("education", "attendance", FIRST_LOAD, [
        attendance("PA", "2022/23", "AUT", 100, 12), attendance("PA", "2022/23", "SPR", 100, 55),
        attendance("PA", "2022/23", "SUM", 100, 5), attendance("PB", "2022/23", "SPR", 100, 10, "100451"),
        attendance("PC", "2022/23", "AUT", 100, 30, "100402")]),
    ("education", "exclusions", FIRST_LOAD, [
        {"exclusion_id": "E1", "pupil_id": "PA", "school_urn": "100450", "category": "FIXD", "start_date": "2023-01-10", "reason": "PP"},
        {"exclusion_id": "E2", "pupil_id": "PA", "school_urn": "100450", "category": "FIXD", "start_date": "2023-07-01", "reason": "PP"},
        {"exclusion_id": "E3", "pupil_id": "PC", "school_urn": "100402", "category": "PERM", "start_date": "2023-02-01", "reason": "OW"}]),
    ("social_care", "ssd_cin_episodes", FIRST_LOAD, [
        {"cine_referral_id": "R1", "cine_person_id": "SA", "cine_referral_date": "2016-06-01", "cine_close_date": "2023-08-01"},
        {"cine_referral_id": "R2", "cine_person_id": "SA", "cine_referral_date": "2023-07-15"}]),
    ("social_care", "ssd_cin_assessments", FIRST_LOAD, [
        {"cina_assessment_id": "A1", "cina_person_id": "SA", "cina_referral_id": "R1", "cina_assessment_start_date": "2023-05-01",
         "cina_assessment_auth_date": "2023-06-30"},
        {"cina_assessment_id": "A2", "cina_person_id": "SA", "cina_referral_id": "R1", "cina_assessment_start_date": "2023-06-20",
         "cina_assessment_auth_date": "2023-07-20"}]),
    ("social_care", "ssd_assessment_factors", FIRST_LOAD, [
        {"cinf_table_id": "F1", "cinf_assessment_id": "A1", "cinf_assessment_factors_json": '["3A","13A"]'},
        {"cinf_table_id": "F2", "cinf_assessment_id": "A2", "cinf_assessment_factors_json": '["24A"]'}]),
    ("social_care", "ssd_cp_plans", FIRST_LOAD, [
        {"cppl_cp_plan_id": "CP1", "cppl_referral_id": "R1", "cppl_person_id": "SA", "cppl_cp_plan_start_date": "2022-01-10",
         "cppl_cp_plan_end_date": "2023-09-01", "cppl_cp_plan_initial_category": "NEG"}]),
    ("social_care", "ssd_cla_episodes", FIRST_LOAD, [
        {"clae_cla_episode_id": "L1", "clae_person_id": "SA", "clae_cla_episode_start_date": "2023-07-02",
         "clae_cla_episode_start_reason": "S", "clae_cla_legal_status": "C2", "clae_cla_placement_type": "U1"}]),
    ("social_care", "ssd_missing", FIRST_LOAD, [
        {"miss_table_id": "M1", "miss_person_id": "SA", "miss_missing_episode_start_date": "2023-06-30",
         "miss_missing_episode_type": "M", "miss_missing_episode_end_date": "2023-07-02"},
        {"miss_table_id": "M2", "miss_person_id": "SA", "miss_missing_episode_start_date": "2023-07-05", "miss_missing_episode_type": "A"}]),
    ("police", "crimes", FIRST_LOAD, [crime("C1", "2023-03-01", "2023-03-02"), crime("C2", "2023-06-29", "2023-07-03")]),
    ("police", "involvements", FIRST_LOAD, [
        {"involvement_id": "I1", "crime_ref": "C1", "role": "SUSPECT", **POLICE_PERSON},
        {"involvement_id": "I2", "crime_ref": "C1", "role": "VICTIM", **POLICE_PERSON, "dob": "2011-02-03", "sex": "F"},
        {"involvement_id": "I3", "crime_ref": "C2", "role": "ACCUSED", **POLICE_PERSON},
        {"involvement_id": "I4", "crime_ref": "C2", "role": "WITNESS", **POLICE_PERSON, "dob": "2011-02-03", "sex": "F"}]),
    ("police", "arrests", FIRST_LOAD, [
        {"arrest_id": "AR1", "crime_ref": "C1", "arrest_date": "2023-03-05", "offence_code": "008/01", **POLICE_PERSON, "pnc_id": make_pnc_id(2009, 123456)}]),
    ("police", "missing_reports", FIRST_LOAD, [
        {"report_id": "MR1", **POLICE_PERSON, "reported_date": "2023-06-30", "found_date": "2023-07-01"}]),
    ("yos", "offences", FIRST_LOAD, [
        {"offence_id": "O1", "yot_id": "YA", "offence_date": "2023-03-01", "offence_code": "008/01", "outcome_date": "2023-06-30", "outcome": "CR"},
        {"offence_id": "O2", "yot_id": "YA", "offence_date": "2023-06-01", "offence_code": "008/01", "outcome_date": "2023-07-10", "outcome": "YC"}]),
    ("yos", "interventions", FIRST_LOAD, [
        {"intervention_id": "V1", "yot_id": "YA", "intervention_type": "MEN", "start_date": "2023-07-01", "case_worker_id": "W1"}]),
    ("yos", "nrm_referrals", FIRST_LOAD, [
        {"nrm_id": "N1", "yot_id": "YA", "referral_date": "2023-08-01", "exploitation_type": "CCE"}]),
    ("health", "semh_referrals", FIRST_LOAD, [
        {"referral_id": "H1", "forename": "Al", "surname": "Test", "dob": "2010-05-06", "sex": "M", "service": "CAMHS",
         "referral_date": "2023-04-01", "first_appointment_date": "2023-07-01"}]),
]


def person_keys() -> list[tuple[str, str, str, str]]:
    a, b, c = "PK0000001", "PK0000002", "PK0000003"
    return [
        ("education", "pupil_id", pupil("PA"), a), ("education", "pupil_id", pupil("PB"), b), ("education", "pupil_id", pupil("PC"), c),
        ("social_care", "pers_person_id", token("social_care", "ssd_person", "pers_person_id", "SA"), a),
        ("yos", "yot_id", token("yos", "young_people", "yot_id", "YA"), a),
        ("police", "involvement_id", "I1", a), ("police", "involvement_id", "I2", b), ("police", "involvement_id", "I3", a),
        ("police", "involvement_id", "I4", b), ("police", "arrest_id", "AR1", a), ("police", "report_id", "MR1", a),
        ("health", "referral_id", "H1", a),
    ]


def copy_home(settings: Settings, home) -> Settings:
    """A copy of the warehouse under another home (its own dbt target)."""
    copy = Settings(home=home)
    copy.warehouse_path.parent.mkdir(parents=True)
    shutil.copyfile(settings.warehouse_path, copy.warehouse_path)
    return copy


def rows(settings: Settings, table: str) -> list[tuple]:
    return query(settings, f"select * from marts.{table} order by all")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Settings:
    settings = fresh_warehouse(tmp_path_factory.mktemp("home"), RAW_LOADS)
    with connect(settings.warehouse_path) as con:
        con.executemany("insert into linkage.person_keys values (?, ?, ?, ?)", person_keys())
    build(settings, select=MARTS)
    return settings


def test_the_fixture_gives_every_kind_of_event(built):
    kinds = {kind for (kind,) in query(built, "select distinct event_type from marts.fct_person_events")}
    assert kinds == {"school_entry", "school_leaving", "persistent_absence_term", "suspension", "permanent_exclusion",
                     "csc_referral", "csc_assessment", "assessment_factor", "cp_plan", "care_episode", "missing_episode",
                     "missing_report", "police_victim", "police_suspect", "police_accused", "arrest", "yos_outcome",
                     "yos_intervention", "nrm_referral", "semh_referral"}
    assert query(built, """
        select person_key, role_code, offence_category, is_knife, age_at_committed_date
        from marts.fct_police_involvements order by involvement_id""") == [
        ("PK0000001", "SUSPECT", "violence_against_the_person", True, 12),  # born 2010-05: 12 on 2023-03-01
        ("PK0000002", "VICTIM", "violence_against_the_person", True, 12),
        ("PK0000001", "ACCUSED", "violence_against_the_person", True, 13),  # 13 on 2023-06-29 (birthday the 1st of May)
        ("PK0000002", "WITNESS", "violence_against_the_person", True, 12),
    ]


def test_incremental_run_equals_full_refresh(built, tmp_path):
    settings = copy_home(built, tmp_path / "incremental")
    before = {fact: rows(settings, fact) for fact in FACTS}
    with connect(settings.warehouse_path) as con:
        load_raw(con, "education", "pupils", SECOND_LOAD, [  # full snapshot: PB's first enrolment and PC are gone
            pupil_row("PA", "2010-05-06", "100400", "2017-09-04", "2021-07-20"), pupil_row("PA", "2010-05-06", "100450", "2021-09-01"),
            pupil_row("PB", "2011-02-03", "100451", "2022-09-01"), pupil_row("PA", "2010-05-06", "100452", "2023-09-04")])
        load_raw(con, "education", "attendance", SECOND_LOAD, [
            attendance("PA", "2023/24", "AUT", 100, 60),  # new
            attendance("PA", "2022/23", "SUM", 100, 20)])  # changed: now persistent absence
        load_raw(con, "police", "crimes", SECOND_LOAD, [crime("C1", "2023-03-01", "2023-03-09")])  # changed recorded date
        load_raw(con, "social_care", "ssd_cin_episodes", SECOND_LOAD, [
            {"cine_referral_id": "R2", "cine_person_id": "SA", "cine_referral_date": "2023-07-15", "cine_close_date": "2023-10-01"}])
        # linkage merged B into A; C was erased (raw rows and keys deleted)
        con.execute("update linkage.person_keys set person_key = 'PK0000001' where person_key = 'PK0000002'")
        con.execute("delete from linkage.person_keys where person_key = 'PK0000003'")
        for table, column in (("attendance", "pupil_id"), ("exclusions", "pupil_id"), ("pupils", "pupil_id")):
            con.execute(f"delete from raw_education.{table} where {column} = ?", [pupil("PC")])
    full = copy_home(settings, tmp_path / "full")

    build(settings, select=MARTS)
    build(full, select=MARTS, full_refresh=True)

    target = settings.dbt_target_dir
    for fact in FACTS:  # the run selected changed rows only and merged them (no table rebuilt)
        assert "except" in (target / "compiled/youth_safety/models/marts" / f"{fact}.sql").read_text()
        assert "delete from" in (target / "run/youth_safety/models/marts" / f"{fact}.sql").read_text()
        after = rows(settings, fact)
        assert after != before[fact], f"{fact} did not change"
        assert after == rows(full, fact), f"{fact}: incremental differs from full refresh"
    events = query(settings, "select distinct person_key from marts.fct_person_events order by 1")
    assert events == [("PK0000001",)]  # B merged into A, C erased


def truncate_after(settings: Settings, day: str) -> None:
    """The raw layer as it stood on `day`: rows dated later deleted, end dates later than it emptied."""
    deletes = {
        "raw_education.pupils": "entry_date > $d",
        "raw_education.exclusions": "start_date > $d",
        "raw_education.attendance": """exists (select 1 from reference.school_terms as t where t.academic_year = attendance.academic_year
                                              and t.term = attendance.term and t.last_day > $d::date)""",
        "raw_social_care.ssd_assessment_factors": """cinf_assessment_id in (select cina_assessment_id from raw_social_care.ssd_cin_assessments
                where coalesce(cina_assessment_auth_date, cina_assessment_start_date) > $d)""",
        "raw_social_care.ssd_cin_episodes": "cine_referral_date > $d",
        "raw_social_care.ssd_cin_assessments": "cina_assessment_start_date > $d",
        "raw_social_care.ssd_cp_plans": "cppl_cp_plan_start_date > $d",
        "raw_social_care.ssd_cla_episodes": "clae_cla_episode_start_date > $d",
        "raw_social_care.ssd_missing": "miss_missing_episode_start_date > $d",
        "raw_police.involvements": "crime_ref in (select crime_ref from raw_police.crimes where recorded_date > $d)",
        "raw_police.crimes": "recorded_date > $d",
        "raw_police.arrests": "arrest_date > $d",
        "raw_police.missing_reports": "reported_date > $d",
        "raw_yos.offences": "outcome_date > $d",
        "raw_yos.interventions": "start_date > $d",
        "raw_yos.nrm_referrals": "referral_date > $d",
        "raw_health.semh_referrals": "referral_date > $d",
    }
    ends = {
        "raw_education.pupils": ["leaving_date"], "raw_social_care.ssd_cin_episodes": ["cine_close_date"],
        "raw_social_care.ssd_cin_assessments": ["cina_assessment_auth_date"], "raw_social_care.ssd_cp_plans": ["cppl_cp_plan_end_date"],
        "raw_social_care.ssd_cla_episodes": ["clae_cla_episode_ceased_date"],
        "raw_social_care.ssd_missing": ["miss_missing_episode_end_date"], "raw_police.missing_reports": ["found_date"],
        "raw_yos.interventions": ["end_date"], "raw_health.semh_referrals": ["first_appointment_date"],
    }
    with connect(settings.warehouse_path) as con:
        for table, condition in deletes.items():
            con.execute(f"delete from {table} where {condition}", {"d": day})
        for table, columns in ends.items():
            for column in columns:
                con.execute(f"update {table} set {column} = null where {column} > $d", {"d": day})


def test_features_at_a_date_use_nothing_dated_after_it(built, tmp_path):
    features = f"select * from marts.fct_person_features_monthly where snapshot_date = '{SNAPSHOT}' order by person_key"
    on_full_data = query(built, features)
    truncated = copy_home(built, tmp_path / "truncated")
    truncate_after(truncated, SNAPSHOT)
    build(truncated, select=MARTS, full_refresh=True)

    assert query(truncated, f"select count(*) from marts.fct_person_events where event_date > '{SNAPSHOT}'") == [(0,)]
    assert query(built, f"select count(*) >= 10 from marts.fct_person_events where event_date > '{SNAPSHOT}'") == [(True,)]
    on_data_then = query(truncated, features)
    assert [row[0] for row in on_full_data] == ["PK0000001", "PK0000002", "PK0000003"]
    columns = [name for (name,) in query(built, """
        select column_name from information_schema.columns
        where table_schema = 'marts' and table_name = 'fct_person_features_monthly' order by ordinal_position""")]
    for full_row, then_row in zip(on_full_data, on_data_then, strict=True):
        differing = [c for c, x, y in zip(columns, full_row, then_row) if x != y]
        assert differing == [], f"{full_row[0]}: features at {SNAPSHOT} use later data: {differing}"
    # ...and the features are not trivially equal: person A has history by S and more after it
    a_at_s, a_later = query(built, """
        select has_dv_factor, has_gangs_factor, has_cce_factor, suspensions_ever, is_on_cp_plan, is_child_in_need_open,
               has_been_looked_after, missing_episodes_ever, police_suspect_contacts_ever, arrests_ever, age_first_arrest,
               is_known_to_yos, has_substantive_outcome, yos_interventions_ever, semh_referrals_ever, secondary_schools_attended
        from marts.fct_person_features_monthly where person_key = 'PK0000001' and snapshot_date in ('2023-06-30', '2023-07-31')
        order by snapshot_date""")
    assert a_at_s == (True, True, False, 1, True, True, False, 2, 1, 1, 12, True, False, 0, 1, 1)
    assert a_later == (True, True, True, 2, True, True, True, 3, 2, 1, 12, True, True, 1, 1, 1)
