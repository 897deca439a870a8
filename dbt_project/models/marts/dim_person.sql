{#-
    One row per person (person_key): what the agencies agree on about them, and the
    strategy's high-risk cohorts (section 5.4 and the KPI breakdowns).

    Year and month of birth and sex: the value most of the person's records hold (ties:
    the earliest). Ethnicity: as recorded by the school census if known there, else
    social care, the YOS, then the police (self-declared sources first); 'NOBT' and
    'REFU' (not obtained, refused) count as unknown.
-#}
with records as (
    select * from {{ ref('int_agency_records_keyed') }}
),

birth as (
    select person_key, birth_year_month
    from records where birth_year_month is not null
    group by person_key, birth_year_month
    qualify row_number() over (partition by person_key order by count(*) desc, birth_year_month) = 1
),

sex as (
    select person_key, sex_code
    from records where sex_code in ('M', 'F')
    group by person_key, sex_code
    qualify row_number() over (partition by person_key order by count(*) desc, sex_code) = 1
),

ethnicity as (
    select person_key, ethnicity_code
    from records
    where ethnicity_code is not null and ethnicity_code not in ('NOBT', 'REFU')
    qualify row_number() over (partition by person_key order by ethnicity_priority, ethnicity_code) = 1
),

pupils as (
    select keys.person_key,
           bool_or(pupils.fsm_start_date is not null) as ever_fsm,
           bool_or(pupils.sen_provision_code in ('K', 'E')) as ever_sen,
           bool_or(pupils.sen_provision_code = 'E') as ever_ehcp
    from {{ ref('stg_education__pupils') }} as pupils
    inner join records as keys on keys.entity = 'pupil_id' and keys.record_key = pupils.pupil_id
    group by keys.person_key
),

exclusions as (
    select keys.person_key,
           true as ever_suspended_or_excluded,
           bool_or(exclusions.category_code = 'PERM') as ever_permanently_excluded
    from {{ ref('stg_education__exclusions') }} as exclusions
    inner join records as keys on keys.entity = 'pupil_id' and keys.record_key = exclusions.pupil_id
    group by keys.person_key
),

looked_after as (
    select distinct keys.person_key
    from {{ ref('stg_social_care__cla_episodes') }} as episodes
    inner join records as keys on keys.entity = 'pers_person_id' and keys.record_key = episodes.person_id
),

people as (
    select person_key,
           count(*) as agency_records,
           bool_or(source = 'education') as known_to_education,
           bool_or(source = 'social_care') as known_to_social_care,
           bool_or(source = 'yos') as known_to_yos,
           bool_or(source = 'police') as known_to_police,
           bool_or(source = 'health') as known_to_health
    from records
    group by person_key
)

select
    people.person_key,
    cast(left(birth.birth_year_month, 4) as integer) as birth_year,
    cast(right(birth.birth_year_month, 2) as integer) as birth_month,
    sex.sex_code,
    ethnicity.ethnicity_code,
    codes.label as ethnicity_label,
    codes.major_group as ethnicity_major_group,
    coalesce(pupils.ever_fsm, false) as ever_fsm,
    coalesce(pupils.ever_sen, false) as ever_sen,
    coalesce(pupils.ever_ehcp, false) as ever_ehcp,
    coalesce(exclusions.ever_suspended_or_excluded, false) as ever_suspended_or_excluded,
    coalesce(exclusions.ever_permanently_excluded, false) as ever_permanently_excluded,
    looked_after.person_key is not null as ever_looked_after,
    coalesce(sex.sex_code = 'M' and ethnicity.ethnicity_code = 'BCRB', false) as is_black_caribbean_boy,
    coalesce(sex.sex_code = 'M' and ethnicity.ethnicity_code = 'BAFR', false) as is_black_african_boy,
    coalesce(sex.sex_code = 'M' and ethnicity.ethnicity_code in ('MWBC', 'MWBA'), false) as is_mixed_white_black_boy,
    coalesce(sex.sex_code = 'M' and ethnicity.ethnicity_code = 'WBRI' and pupils.ever_fsm, false) as is_white_british_fsm_boy,
    coalesce(sex.sex_code = 'F', false) as is_girl_or_young_woman,
    people.agency_records,
    people.known_to_education,
    people.known_to_social_care,
    people.known_to_yos,
    people.known_to_police,
    people.known_to_health
from people
left join birth using (person_key)
left join sex using (person_key)
left join ethnicity using (person_key)
left join {{ ref('ethnicity') }} as codes on codes.code = ethnicity.ethnicity_code
left join pupils using (person_key)
left join exclusions using (person_key)
left join looked_after using (person_key)
