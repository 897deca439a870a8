{#-
    KPI 6, proven reoffending of children, after the MoJ / YJB method.
      Cohort: children aged 10-17 with a substantive outcome (caution or conviction, seed
        youth_outcome.is_substantive; custodial sentences included) in the cohort period, which is
        a financial quarter (the MoJ's 3-month cohorts) or a financial year. Index date: the
        child's first such outcome date in the period; each child counts once a cohort.
      Proven reoffence: an offence committed after the index date and no later than 12 months
        after it (the follow-up year) that receives a substantive outcome no later than 18
        months after the index date (the year plus the 6-month waiting period).
      Only final cohorts are reported: a cohort's last possible index date (its period end) plus
        18 months must be on or before the latest outcome date in the YOS offences extract.
-#}
with outcomes as (
    select keys.person_key, offences.offence_id, offences.offence_date, offences.outcome_date
    from {{ ref('stg_yos__offences') }} as offences
    inner join {{ ref('youth_outcome') }} as outcome on outcome.code = offences.outcome_code
    inner join {{ ref('int_agency_records_keyed') }} as keys on keys.entity = 'yot_id' and keys.record_key = offences.yot_id
    where outcome.is_substantive
),

data_date as (
    select max(outcome_date) as latest_outcome_date from {{ ref('stg_yos__offences') }}
),

index_events as (
    select distinct outcomes.person_key, outcomes.outcome_date as index_date,
           {{ age_on('person.birth_year', 'person.birth_month', 'outcomes.outcome_date') }} as age_years
    from outcomes
    inner join {{ ref('dim_person') }} as person on person.person_key = outcomes.person_key
    where {{ age_on('person.birth_year', 'person.birth_month', 'outcomes.outcome_date') }} between 10 and 17
),

{%- set cohort_types = ('quarter', 'financial_year') %}
{%- for period_type in cohort_types %}

cohort_{{ period_type }} as (  -- first outcome of each child in each {{ period_type }}, with the reoffences it is followed by
    select cohort.person_key, cohort.index_date, cohort.age_years,
           count(reoffence.offence_id) as reoffences
    from index_events as cohort
    left join outcomes as reoffence
        on reoffence.person_key = cohort.person_key
        and reoffence.offence_date > cohort.index_date
        and reoffence.offence_date <= cohort.index_date + interval 12 month
        and reoffence.outcome_date <= cohort.index_date + interval 18 month
    group by cohort.person_key, cohort.index_date, cohort.age_years
    qualify row_number() over (partition by cohort.person_key, {{ period_start(period_type, 'cohort.index_date') }} order by cohort.index_date) = 1
),

counted_{{ period_type }} as (
    {{ kpi_rollup('cohort_' ~ period_type, 'index_date',
        'count(*) as cohort, count(*) filter (where reoffences > 0) as reoffenders, sum(reoffences) as reoffences',
        period_types=(period_type,)) }}
),
{%- endfor %}

counted as (
    {%- for period_type in cohort_types %}
    select * from counted_{{ period_type }}
    {{ 'union all' if not loop.last }}
    {%- endfor %}
),

filled as (  -- every breakdown value of the known 0-24 population gets a row, 0 where no child
    {{ kpi_fill('counted', ['cohort', 'reoffenders', 'reoffences'], cohort_types, breakdowns=ref('int_populations_counted')) }}
),

measured as (  -- final cohorts only
    select * from filled
    where {{ period_end() }} + interval 18 month <= (select latest_outcome_date from data_date)
)

select {{ kpi_columns('KPI06', 'reoffending_binary_rate', 'percent') }}
from (select *, reoffenders as numerator, cohort as denominator, reoffenders * 100.0 / nullif(cohort, 0) as value from measured)
union all
select {{ kpi_columns('KPI06', 'reoffences_per_reoffender', 'mean') }}
from (select *, reoffences as numerator, reoffenders as denominator, reoffences * 1.0 / nullif(reoffenders, 0) as value from measured)
