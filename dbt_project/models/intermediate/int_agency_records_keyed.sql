{#-
    One row per keyed agency person record with its person key and what the agency records of
    the person: year and month of birth, sex and (DfE-coded) ethnicity. Records are the
    units linkage keys: pupils, post-16 tracking, social-care persons, YOS young people,
    police involvements, arrests and missing reports, and SEMH referrals.
-#}
with records as (
    select 'education' as source, 'pupil_id' as entity, pupil_id as record_key,
           birth_year_month, sex_code, ethnicity_code, 1 as ethnicity_priority
    from {{ ref('stg_education__pupils') }}
    qualify row_number() over (partition by pupil_id order by entry_date desc, school_urn) = 1
    union all
    select 'education', 'tracking_id', tracking_id, birth_year_month, sex_code, null, null
    from {{ ref('stg_education__post16_activity') }}
    qualify row_number() over (partition by tracking_id order by activity_month desc) = 1
    union all
    select 'social_care', 'pers_person_id', person_id, birth_year_month, sex_code, ethnicity_code, 2
    from {{ ref('stg_social_care__persons') }}
    union all
    select 'yos', 'yot_id', yot_id, birth_year_month, sex_code, ethnicity_code, 3
    from {{ ref('stg_yos__young_people') }}
    union all
    select 'police', 'involvement_id', involvement_id, birth_year_month, sex_code, ethnicity_code, 4
    from {{ ref('stg_police__involvements') }}
    union all
    select 'police', 'arrest_id', arrest_id, birth_year_month, sex_code, null, null
    from {{ ref('stg_police__arrests') }}
    union all
    select 'police', 'report_id', missing_report_id, birth_year_month, sex_code, null, null
    from {{ ref('stg_police__missing_reports') }}
    union all
    select 'health', 'referral_id', referral_id, birth_year_month, sex_code, null, null
    from {{ ref('stg_health__semh_referrals') }}
)

{#- Every keyed record counts, including one no longer in the staging layer (a pupil only in an
    older full snapshot): its person still exists, with what the other records say. -#}
select
    keys.person_key,
    keys.source,
    keys.entity,
    keys.record_key,
    records.birth_year_month,
    records.sex_code,
    records.ethnicity_code,
    records.ethnicity_priority
from {{ ref('stg_linkage__person_keys') }} as keys
left join records
    on records.source = keys.source and records.entity = keys.entity and records.record_key = keys.record_key
