{{ config(materialized='table') }}
{#-
    The known child and young-adult population by reporting period, breakdown and single year of
    age: every person in dim_person aged 0-24 on the first day of the period, from the month of
    var('reporting_start') to the month of the latest linkage night (today before any). KPI rates
    use it as their population base (kpi_population), in place of ONS mid-year estimates, which
    the partnership does not hold by cohort.
-#}
with months as (
    select unnest(generate_series(
        date_trunc('month', date '{{ var("reporting_start") }}'),
        date_trunc('month', coalesce((select max(night) from {{ ref('stg_linkage__person_key_history') }}), current_date)),
        interval 1 month
    ))::date as month_start
),

period_starts as (  -- distinct over a subquery: DuckDB 2.0's `select distinct unnest(...)` keeps one row
    select distinct * from (select {{ reporting_periods('month_start') }} from months)
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
