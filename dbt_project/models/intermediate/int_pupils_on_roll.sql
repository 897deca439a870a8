{{ config(materialized='table') }}
{#-
    Pupils on roll: one row per person and academic year for every child enrolled at a borough
    school (any phase, alternative provision included) on the academic year's census day, the
    spring census (third Thursday of January), or on the latest data day while that census day
    is still to come. Enrolled = entry_date on or before the day and leaving_date empty or on or
    after it. A child on roll at two schools counts once, at the school entered last. The one
    definition of "pupils on roll" the education KPIs divide by.
-#}
with years as (
    select period_start as academic_year_start,
           least({{ census_day('period_start') }}, {{ kpi_last_day() }}::date) as census_date
    from ({{ kpi_period_spine(('academic_year',)) }})
),

enrolments as (
    select keys.person_key, years.academic_year_start, years.census_date,
           pupils.school_urn, pupils.entry_date, pupils.sen_provision_code,
           coalesce(pupils.fsm_start_date <= years.census_date
                    and (pupils.fsm_end_date is null or pupils.fsm_end_date >= years.census_date), false) as is_fsm_eligible,
           school.phase as school_phase
    from {{ ref('stg_education__pupils') }} as pupils
    inner join {{ ref('int_agency_records_keyed') }} as keys
        on keys.entity = 'pupil_id' and keys.record_key = pupils.pupil_id
    inner join years
        on pupils.entry_date <= years.census_date
        and (pupils.leaving_date is null or pupils.leaving_date >= years.census_date)
    left join {{ ref('school') }} as school on school.code = pupils.school_urn
),

pupils as (
    select person_key, academic_year_start, any_value(census_date) as census_date,
           arg_max(school_urn, (entry_date, school_urn)) as school_urn,
           arg_max(school_phase, (entry_date, school_urn)) as school_phase,
           case when bool_or(sen_provision_code = 'E') then 'E'
                when bool_or(sen_provision_code = 'K') then 'K'
                else 'N' end as sen_provision_code,
           bool_or(is_fsm_eligible) as is_fsm_eligible
    from enrolments
    group by person_key, academic_year_start
)

select pupils.person_key,
       pupils.academic_year_start,
       pupils.census_date,
       {{ age_on('person.birth_year', 'person.birth_month', 'pupils.census_date') }} as age_years,
       pupils.school_urn,
       pupils.school_phase,
       pupils.sen_provision_code,
       pupils.is_fsm_eligible
from pupils
left join {{ ref('dim_person') }} as person on person.person_key = pupils.person_key
