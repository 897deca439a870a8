{#-
    Helpers of the youth-justice and crime KPI marts (models/marts/kpis/justice), on top of the
    shared KPI shape (macros/kpis.sql).
-#}

{#- The reporting grid: every reporting period of the history (int_populations_counted, from
    var('reporting_start') to the latest linkage night) with every breakdown value the known 0-24
    population holds in it. Count measures start from it, so a period or group where nothing
    happened still has a row (numerator 0). Without `by_person` only the 'all' breakdown. -#}
{% macro kpi_grid(by_person=true, period_types=('month', 'quarter', 'financial_year')) -%}
    select distinct period_type, period_start, breakdown, breakdown_value
    from {{ ref('int_populations_counted') }}
    where period_type in ('{{ period_types | join("', '") }}')
    {%- if not by_person %} and breakdown = 'all'{% endif %}
{%- endmacro %}


{#- Counts of people by reporting period and breakdown: each person counts once a period, with
    their age at their first event in it (so the age bands partition the total). `relation`:
    one row per event with person_key, `date_column` and age_years; `aggregates` as in kpi_rollup
    (typically 'count(*) as numerator', a count of people). -#}
{% macro kpi_people_rollup(relation, date_column, aggregates, period_types=('month', 'quarter', 'financial_year')) -%}
    {%- for period_type in period_types %}
    select * from (
        {{ kpi_rollup(
            '(select * from ' ~ relation ~ ' qualify row_number() over (partition by person_key, '
                ~ period_start(period_type, date_column) ~ ' order by ' ~ date_column ~ ') = 1)',
            date_column, aggregates, period_types=(period_type,)) }}
    )
    {{ 'union all' if not loop.last }}
    {%- endfor %}
{%- endmacro %}


{#- Age in whole years on `day` from a 'YYYY-MM' year and month of birth (macro age_in_years). -#}
{% macro age_on_year_month(birth_year_month, day) -%}
    {{ age_in_years(birth_month_start(birth_year_month), day) }}
{%- endmacro %}


{#- Victims of the police-recorded crimes matching `crime_filter` (an expression over
    stg_police__crimes as `crimes`), aged `min_age` to `max_age` on the committed date (from the
    involvement's year and month of birth): one row per victim involvement with person_key,
    committed_date and age_years. -#}
{% macro crime_victims(crime_filter, min_age, max_age) -%}
    select keys.person_key, crimes.crime_ref, crimes.committed_date,
           {{ age_on_year_month('involvements.birth_year_month', 'crimes.committed_date') }} as age_years
    from {{ ref('stg_police__crimes') }} as crimes
    inner join {{ ref('stg_police__involvements') }} as involvements on involvements.crime_ref = crimes.crime_ref
    left join {{ ref('int_agency_records_keyed') }} as keys  -- a victim not keyed yet still counts (breakdowns unknown)
        on keys.entity = 'involvement_id' and keys.record_key = involvements.involvement_id
    where involvements.role_code = 'VICTIM'
      and ({{ crime_filter }})
      and {{ age_on_year_month('involvements.birth_year_month', 'crimes.committed_date') }} between {{ min_age }} and {{ max_age }}
{%- endmacro %}


{#- A count measure over the grid: relation `counted` (period_type, period_start, breakdown,
    breakdown_value, numerator) left-joined to `grid`, zero where nothing was counted. -#}
{% macro kpi_count_from_grid(grid='grid', counted='counted') -%}
    select {{ grid }}.*, coalesce({{ counted }}.numerator, 0) as numerator, null as denominator,
           coalesce({{ counted }}.numerator, 0) as value
    from {{ grid }}
    left join {{ counted }} using (period_type, period_start, breakdown, breakdown_value)
{%- endmacro %}
