{{ config(materialized='table') }}
{#-
    The known child and young-adult population by reporting period, breakdown and single year of
    age: every person in dim_person aged 0-24 on the first day of the period, for every period of
    the reporting spine (kpi_period_spine: var('reporting_start') to kpi_last_day()). KPI rates
    use it as their population base (kpi_population), in place of ONS mid-year estimates, which
    the partnership does not hold by cohort.
-#}
with period_starts as (
    {{ kpi_period_spine() }}
),

aged as (
    select period_starts.*, person.*, {{ age_on('person.birth_year', 'person.birth_month', 'period_starts.period_start') }} as age_years
    from period_starts
    inner join {{ ref('dim_person') }} as person
        on {{ age_on('person.birth_year', 'person.birth_month', 'period_starts.period_start') }} between 0 and 24
)

select period_type, period_start, breakdown, breakdown_value, age_years, count(*) as people
from (select aged.*, {{ kpi_breakdowns('aged', 'aged.age_years') }} from aged)
group by all
