{#-
    KPI 2, suspensions (category FIXD) and permanent exclusions (PERM) of pupils at borough
    schools. Counts of events by month, quarter and financial year of the first day of the
    exclusion; by academic year, rates per 100 pupils on roll (int_pupils_on_roll: enrolled on
    the January census day) as the DfE publishes them (events ÷ pupils on roll × 100, every
    event of the year counted), and the person measures the disproportionality RRI divides:
    of the pupils on roll, the share with at least one suspension / permanent exclusion in the
    academic year. Academic-year breakdowns take the age on the census day.
-#}
with exclusions as (
    select keys.person_key, exclusions.category_code, exclusions.start_date,
           {{ period_start('academic_year', 'exclusions.start_date') }} as academic_year_start,
           {{ age_on('person.birth_year', 'person.birth_month', 'exclusions.start_date') }} as age_years
    from {{ ref('stg_education__exclusions') }} as exclusions
    inner join {{ ref('int_agency_records_keyed') }} as keys
        on keys.entity = 'pupil_id' and keys.record_key = exclusions.pupil_id
    left join {{ ref('dim_person') }} as person on person.person_key = keys.person_key
),

events_counted as (
    {{ kpi_rollup('exclusions', 'start_date',
                  "count_if(category_code = 'FIXD') as suspensions, count_if(category_code = 'PERM') as permanent_exclusions") }}
),

events as (
    {{ kpi_fill('events_counted', ['suspensions', 'permanent_exclusions']) }}
),

year_events as (
    select person_key, academic_year_start,
           count_if(category_code = 'FIXD') as suspensions,
           count_if(category_code = 'PERM') as permanent_exclusions
    from exclusions
    group by all
),

pupil_years as (  -- pupils on roll and pupils excluded, one row per person and academic year
    select person_key, academic_year_start,
           on_roll.person_key is not null as is_on_roll,
           coalesce(year_events.suspensions, 0) as suspensions,
           coalesce(year_events.permanent_exclusions, 0) as permanent_exclusions,
           coalesce(on_roll.age_years,
                    {{ age_on('person.birth_year', 'person.birth_month', census_day('academic_year_start')) }}) as age_years
    from (select person_key, academic_year_start, age_years from {{ ref('int_pupils_on_roll') }}) as on_roll
    full join year_events using (person_key, academic_year_start)
    left join {{ ref('dim_person') }} as person using (person_key)
),

years_counted as (
    {{ kpi_rollup('pupil_years', 'academic_year_start',
                  "count_if(is_on_roll) as pupils, sum(suspensions) as suspensions, sum(permanent_exclusions) as permanent_exclusions,
                   count_if(is_on_roll and suspensions > 0) as pupils_suspended,
                   count_if(is_on_roll and permanent_exclusions > 0) as pupils_permanently_excluded",
                  period_types=('academic_year',)) }}
),

years as (
    {{ kpi_fill('years_counted', ['pupils', 'suspensions', 'permanent_exclusions', 'pupils_suspended', 'pupils_permanently_excluded'],
                ('academic_year',)) }}
)

select {{ kpi_columns('KPI02', 'suspensions', 'count') }}
from (select *, suspensions as numerator, null as denominator, suspensions as value from events)
union all
select {{ kpi_columns('KPI02', 'permanent_exclusions', 'count') }}
from (select *, permanent_exclusions as numerator, null as denominator, permanent_exclusions as value from events)
union all
select {{ kpi_columns('KPI02', 'suspension_rate', 'rate_per_100') }}
from (select *, suspensions as numerator, pupils as denominator, suspensions * 100.0 / nullif(pupils, 0) as value from years)
union all
select {{ kpi_columns('KPI02', 'permanent_exclusion_rate', 'rate_per_100') }}
from (select *, permanent_exclusions as numerator, pupils as denominator, permanent_exclusions * 100.0 / nullif(pupils, 0) as value from years)
union all
select {{ kpi_columns('KPI02', 'pupils_suspended', 'percent') }}
from (select *, pupils_suspended as numerator, pupils as denominator, pupils_suspended * 100.0 / nullif(pupils, 0) as value from years)
union all
select {{ kpi_columns('KPI02', 'pupils_permanently_excluded', 'percent') }}
from (select *, pupils_permanently_excluded as numerator, pupils as denominator,
             pupils_permanently_excluded * 100.0 / nullif(pupils, 0) as value from years)
