{#-
    The reporting history as a spine, so KPI marts have a row for every period even where
    nothing happened, and the school census day the education KPIs count pupils on.
-#}

{#- The last day the warehouse holds data for: the latest linkage night (today before any). -#}
{% macro kpi_last_day() -%}
    coalesce((select max(night) from {{ ref('stg_linkage__person_key_history') }}), current_date)
{%- endmacro %}


{#- Every period of `period_types` starting within the reporting history: on or after
    var('reporting_start') and on or before kpi_last_day() (the last periods are in progress).
    Columns period_type, period_start. -#}
{% macro kpi_period_spine(period_types=('month', 'quarter', 'financial_year')) -%}
    select distinct * from (  -- distinct over a subquery: DuckDB 2.0's `select distinct unnest(...)` keeps one row
        select {{ reporting_periods('day', period_types) }}
        from (
            select unnest(generate_series(
                date '{{ var("reporting_start") }}', {{ kpi_last_day() }}::date, interval 1 day
            ))::date as day
        )
    )
    where period_start between date '{{ var("reporting_start") }}' and {{ kpi_last_day() }}
{%- endmacro %}


{#- `relation` (period_type, period_start, breakdown, breakdown_value and the `counts` columns)
    on the spine of `period_types`: one row for every period and every breakdown value the
    relation holds in any period (and 'all'), counts 0 where the relation has no row. No counted
    cell is dropped but those of periods off the spine (before var('reporting_start') or after
    kpi_last_day()). `breakdowns`: a relation whose breakdown values (in any period) get a row
    too, e.g. the population counted from, so a group where nothing was counted still shows 0. -#}
{% macro kpi_fill(relation, counts, period_types=('month', 'quarter', 'financial_year'), breakdowns=none) -%}
    select spine.period_type, spine.period_start, seen.breakdown, seen.breakdown_value
        {%- for column in counts %},
        coalesce(counted.{{ column }}, 0) as {{ column }}
        {%- endfor %}
    from ({{ kpi_period_spine(period_types) }}) as spine
    cross join (
        select breakdown, breakdown_value from {{ relation }}
        {%- if breakdowns is not none %}
        union
        select breakdown, breakdown_value from {{ breakdowns }}
        {%- endif %}
        union
        select 'all', 'all'
    ) as seen
    left join {{ relation }} as counted
        on counted.period_type = spine.period_type and counted.period_start = spine.period_start
        and counted.breakdown = seen.breakdown and counted.breakdown_value = seen.breakdown_value
{%- endmacro %}


{#- The school census day of the academic year starting on `academic_year_start`: the spring
    census, the third Thursday of January. -#}
{% macro census_day(academic_year_start) -%}
    (make_date(year({{ academic_year_start }}) + 1, 1, 15)
        + ((11 - dayofweek(make_date(year({{ academic_year_start }}) + 1, 1, 15))) % 7)::integer)
{%- endmacro %}


{#- First day of the academic year written as '2019/20'. -#}
{% macro academic_year_start(academic_year) -%}
    make_date(cast(left({{ academic_year }}, 4) as integer), 9, 1)
{%- endmacro %}
