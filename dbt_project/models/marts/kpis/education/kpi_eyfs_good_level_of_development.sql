{#-
    KPI 1, EYFS good level of development (GLD): of the children assessed at the end of
    reception (EYFS profile with a GLD result) in an academic year, the share reaching a good
    level of development. A child with more than one result in a year (records linked to one
    person) counts once, reaching GLD if any result does. Age (for the age band) on the census day.
-#}
with assessed as (
    select keys.person_key,
           {{ academic_year_start('attainment.academic_year') }} as academic_year_start,
           bool_or(attainment.is_eyfs_gld) as is_gld
    from {{ ref('stg_education__attainment') }} as attainment
    inner join {{ ref('int_agency_records_keyed') }} as keys
        on keys.entity = 'pupil_id' and keys.record_key = attainment.pupil_id
    where attainment.key_stage_code = 'EYFS' and attainment.is_eyfs_gld is not null
    group by all
),

aged as (
    select assessed.*,
           {{ age_on('person.birth_year', 'person.birth_month', census_day('assessed.academic_year_start')) }} as age_years
    from assessed
    left join {{ ref('dim_person') }} as person on person.person_key = assessed.person_key
),

counted as (
    {{ kpi_rollup('aged', 'academic_year_start', 'count_if(is_gld) as numerator, count(*) as denominator', period_types=('academic_year',)) }}
),

filled as (
    {{ kpi_fill('counted', ['numerator', 'denominator'], ('academic_year',)) }}
)

select {{ kpi_columns('KPI01', 'eyfs_good_level_of_development', 'percent') }}
from (select *, numerator * 100.0 / nullif(denominator, 0) as value from filled)
