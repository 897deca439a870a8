{#-
    Every long-shape KPI mart in one table, with the strategy's baselines alongside: for
    financial- and academic-year rows, the same measure and breakdown in the baseline year
    (var('baseline_year'), the year before the 2020-25 strategy) and the strategy's own published
    count for that year where section 4 gives one.
-#}
{%- set kpi_marts = [
    'kpi_first_time_entrants',
    'kpi_proven_reoffending',
    'kpi_nrm_referrals',
    'kpi_serious_youth_violence',
    'kpi_knife_crime_with_injury',
    'kpi_crime_measures',
    'kpi_youth_justice_stages',
    'kpi_eyfs_good_level_of_development',
    'kpi_exclusions',
    'kpi_gcse_gaps',
    'kpi_neet',
    'kpi_missing_children',
    'kpi_semh_first_appointments',
    'kpi_yos_cohort_overlaps',
] %}

with kpis as (
    {%- for mart in kpi_marts %}
    select * from {{ ref(mart) }}
    {%- if not loop.last %}
    union all by name
    {%- endif %}
    {%- endfor %}
),

baseline as (
    select measure, period_type, breakdown, breakdown_value, value as baseline_value
    from kpis
    where period_type in ('financial_year', 'academic_year') and period_label = '{{ var("baseline_year") }}'
)

select
    kpis.*,
    case when kpis.period_type in ('financial_year', 'academic_year') then '{{ var("baseline_year") }}' end as baseline_period_label,
    baseline.baseline_value,
    kpis.value - baseline.baseline_value as change_from_baseline,
    published.published_count as strategy_published_count
from kpis
left join baseline
    on baseline.measure = kpis.measure and baseline.period_type = kpis.period_type
    and baseline.breakdown = kpis.breakdown and baseline.breakdown_value = kpis.breakdown_value
left join {{ ref('strategy_baselines') }} as published
    on published.measure = kpis.measure and published.period_label = kpis.period_label
    and kpis.period_type = 'financial_year' and kpis.breakdown = 'all'
