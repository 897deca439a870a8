{#-
    One timeline across the agencies: one row per event of a keyed person, with a stable id
    (event type : the source record's id). Each event is dated by the day the agency knew of it,
    so a feature counting events up to a date uses only what was known by then: terms by their
    last day, assessment factors when the assessment was authorised (else started), YOS
    outcomes on the outcome date, police involvements on the day the crime was recorded.
    Witness involvements are not events. event_end_date is the end of an episode (enrolment,
    CIN referral, assessment, plan, care or missing episode, intervention) and null otherwise.
-#}
with enrolments as (
    select keys.person_key, pupils.*,
           md5(concat_ws('|', pupils.pupil_id, pupils.school_urn, pupils.entry_date)) as enrolment_id
    from {{ ref('stg_education__pupils') }} as pupils
    {{ join_person_key('pupil_id', 'pupils.pupil_id') }}
),

assessments as (
    select keys.person_key, assessments.*, coalesce(assessments.authorised_date, assessments.start_date) as factor_date
    from {{ ref('stg_social_care__cin_assessments') }} as assessments
    {{ join_person_key('pers_person_id', 'assessments.person_id') }}
),

events as (
    select 'education' as source, 'school_entry' as event_type, enrolment_id as record_id, person_key,
           entry_date as event_date, leaving_date as event_end_date, school_urn as event_code, school_name as event_label
    from enrolments
    union all
    select 'education', 'school_leaving', enrolment_id, person_key, leaving_date, null, school_urn, school_name
    from enrolments where leaving_date is not null
    union all
    select 'education', 'persistent_absence_term', attendance_id, person_key, term_last_day, null, school_urn,
           {{ lookup_code('school', 'attendance.school_urn') }}
    from {{ ref('int_attendance_terms_keyed') }} as attendance where is_persistent_absence
    union all
    select 'education', case exclusions.category_code when 'FIXD' then 'suspension' when 'PERM' then 'permanent_exclusion' end,
           exclusions.exclusion_id, keys.person_key, exclusions.start_date, null, exclusions.reason_code, exclusions.reason_label
    from {{ ref('stg_education__exclusions') }} as exclusions
    {{ join_person_key('pupil_id', 'exclusions.pupil_id') }}
    union all
    select 'social_care', 'csc_referral', episodes.referral_id, keys.person_key, episodes.referral_date, episodes.close_date,
           episodes.primary_need_code, episodes.primary_need_label
    from {{ ref('stg_social_care__cin_episodes') }} as episodes
    {{ join_person_key('pers_person_id', 'episodes.person_id') }}
    union all
    select 'social_care', 'csc_assessment', assessment_id, person_key, start_date, authorised_date, null, null
    from assessments
    union all
    select 'social_care', 'assessment_factor', factors.factor_record_id || ':' || factor.code, assessments.person_key,
           assessments.factor_date, null, factor.code, {{ lookup_code('assessment_factor', 'factor.code') }}
    from {{ ref('stg_social_care__assessment_factors') }} as factors
    inner join assessments on assessments.assessment_id = factors.assessment_id
    cross join unnest(list_distinct(factors.factor_codes)) as factor(code)
    union all
    select 'social_care', 'cp_plan', plans.cp_plan_id, keys.person_key, plans.start_date, plans.end_date,
           plans.initial_category_code, plans.initial_category_label
    from {{ ref('stg_social_care__cp_plans') }} as plans
    {{ join_person_key('pers_person_id', 'plans.person_id') }}
    union all
    select 'social_care', 'care_episode', care.cla_episode_id, keys.person_key, care.start_date, care.ceased_date,
           care.legal_status_code, care.legal_status_label
    from {{ ref('stg_social_care__cla_episodes') }} as care
    {{ join_person_key('pers_person_id', 'care.person_id') }}
    union all
    select 'social_care', 'missing_episode', missing.missing_episode_id, keys.person_key, missing.start_date, missing.end_date,
           missing.missing_type_code, missing.missing_type_label
    from {{ ref('stg_social_care__missing_episodes') }} as missing
    {{ join_person_key('pers_person_id', 'missing.person_id') }}
    union all
    select 'police', 'missing_report', reports.missing_report_id, keys.person_key, reports.reported_date, reports.found_date, null, null
    from {{ ref('stg_police__missing_reports') }} as reports
    {{ join_person_key('report_id', 'reports.missing_report_id') }}
    union all
    select 'police', 'police_' || lower(role_code), involvement_id, person_key, recorded_date, null, offence_code, offence_label
    from {{ ref('int_police_involvements_keyed') }} where role_code in ('VICTIM', 'SUSPECT', 'ACCUSED')
    union all
    select 'police', 'arrest', arrests.arrest_id, keys.person_key, arrests.arrest_date, null, arrests.offence_code, arrests.offence_label
    from {{ ref('stg_police__arrests') }} as arrests
    {{ join_person_key('arrest_id', 'arrests.arrest_id') }}
    union all
    select 'yos', 'yos_outcome', offences.offence_id, keys.person_key, offences.outcome_date, null,
           offences.outcome_code, offences.outcome_label
    from {{ ref('stg_yos__offences') }} as offences
    {{ join_person_key('yot_id', 'offences.yot_id') }}
    union all
    select 'yos', 'yos_intervention', interventions.intervention_id, keys.person_key, interventions.start_date, interventions.end_date,
           interventions.intervention_type_code, interventions.intervention_type_label
    from {{ ref('stg_yos__interventions') }} as interventions
    {{ join_person_key('yot_id', 'interventions.yot_id') }}
    union all
    select 'yos', 'nrm_referral', nrm.nrm_referral_id, keys.person_key, nrm.referral_date, null,
           nrm.exploitation_type_code, nrm.exploitation_type_label
    from {{ ref('stg_yos__nrm_referrals') }} as nrm
    {{ join_person_key('yot_id', 'nrm.yot_id') }}
    union all
    select 'health', 'semh_referral', semh.referral_id, keys.person_key, semh.referral_date, null, semh.service_code, semh.service_label
    from {{ ref('stg_health__semh_referrals') }} as semh
    {{ join_person_key('referral_id', 'semh.referral_id') }}
)

select
    event_type || ':' || record_id as event_id,
    person_key,
    event_date,
    event_end_date,
    source,
    event_type,
    event_code,
    event_label
from events
where event_date is not null and event_type is not null
