{#-
    The shape every KPI mart shares (long format, one measure per row):

        kpi_code, measure, period_type, period_start, period_end, period_label,
        breakdown, breakdown_value, numerator, denominator, value, unit

    breakdown is 'all' (the total), 'sex', 'age_band', 'ethnicity_group', 'ethnicity' (the DfE
    code; each a partition of the total, 'unknown' included) or 'cohort' (the strategy's high-risk cohorts; they overlap,
    so they are not a partition). numerator and denominator are counts of people or events;
    value is the KPI itself (a count, a percentage, a rate or a mean).
-#}

{#- The strategy's high-risk cohorts (section 5.4): dim_person flag -> breakdown value. -#}
{% macro kpi_cohorts() -%}
    {{ return([
        ('is_black_caribbean_boy', 'black_caribbean_boys'),
        ('is_black_african_boy', 'black_african_boys'),
        ('is_mixed_white_black_boy', 'mixed_white_black_boys'),
        ('is_white_british_fsm_boy', 'white_british_fsm_boys'),
        ('is_girl_or_young_woman', 'girls_and_young_women'),
        ('ever_sen', 'sen_or_ehcp'),
        ('ever_ehcp', 'ehcp'),
        ('ever_suspended_or_excluded', 'ever_excluded'),
        ('ever_looked_after', 'looked_after'),
    ]) }}
{%- endmacro %}


{#- Select-list item: one row per breakdown a person's row counts in (columns breakdown, breakdown_value).
    `person` is a dim_person alias; `age` the person's age at the counted event or period. -#}
{% macro kpi_breakdowns(person='person', age='age_years') -%}
    unnest(list_filter([
        {'breakdown': 'all', 'breakdown_value': 'all'},
        {'breakdown': 'sex', 'breakdown_value': coalesce({{ person }}.sex_code, 'unknown')},
        {'breakdown': 'age_band', 'breakdown_value': coalesce({{ age_band(age) }}, 'unknown')},
        {'breakdown': 'ethnicity_group', 'breakdown_value': coalesce({{ person }}.ethnicity_major_group, 'unknown')},
        {'breakdown': 'ethnicity', 'breakdown_value': coalesce({{ person }}.ethnicity_code, 'unknown')},
        {%- for flag, name in kpi_cohorts() %}
        {'breakdown': 'cohort', 'breakdown_value': case when {{ person }}.{{ flag }} then '{{ name }}' end}{{ ',' if not loop.last }}
        {%- endfor %}
    ], lambda b: b.breakdown_value is not null), recursive := true)
{%- endmacro %}


{#-
    Counts of a relation by reporting period and breakdown.

    `relation`: one row per counted unit, with `date_column` and, when `by_person`, `person_key`
    and `age_years` (age at the counted date). `aggregates`: the select-list aggregates, e.g.
    'count(*) as numerator'. Without `by_person` only the 'all' breakdown is produced (counts of
    crimes rather than people).
-#}
{% macro kpi_rollup(relation, date_column, aggregates, period_types=('month', 'quarter', 'financial_year'), by_person=true) -%}
    with periods as (
        select *, {{ reporting_periods(date_column, period_types) }}
        from {{ relation }}
    ),

    split as (
        {%- if by_person %}
        select periods.*, {{ kpi_breakdowns('person', 'periods.age_years') }}
        from periods
        left join {{ ref('dim_person') }} as person on person.person_key = periods.person_key
        {%- else %}
        select *, 'all' as breakdown, 'all' as breakdown_value
        from periods
        {%- endif %}
    )

    select period_type, period_start, breakdown, breakdown_value, {{ aggregates }}
    from split
    group by all
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


{#- Population of `min_age` to `max_age` (age at period start) by period and breakdown: columns
    period_type, period_start, breakdown, breakdown_value, population. -#}
{% macro kpi_population(min_age, max_age) -%}
    select period_type, period_start, breakdown, breakdown_value, sum(people) as population
    from {{ ref('int_populations_counted') }}
    where age_years between {{ min_age }} and {{ max_age }}
    group by all
{%- endmacro %}


{#- Counts of people per `per` of a population: `relation` (period_type, period_start, breakdown,
    breakdown_value, numerator) over `population` (kpi_population) on the reporting spine
    (kpi_fill): a row for every counted cell and for every breakdown value of the population
    (numerator 0), denominator the cell's population (0 where it has none; value then null). -#}
{% macro kpi_population_rate(relation, population, per) -%}
    select filled.*, coalesce(population.population, 0) as denominator,
           filled.numerator * {{ per }}.0 / nullif(population.population, 0) as value
    from ({{ kpi_fill(relation, ['numerator'], breakdowns=population) }}) as filled
    left join {{ population }} as population using (period_type, period_start, breakdown, breakdown_value)
{%- endmacro %}


{#- The shared KPI columns, from a relation holding period_type, period_start, breakdown,
    breakdown_value, numerator, denominator and value. -#}
{% macro kpi_columns(kpi_code, measure, unit) -%}
    '{{ kpi_code }}' as kpi_code,
    '{{ measure }}' as measure,
    period_type,
    period_start,
    {{ period_end() }} as period_end,
    {{ period_label() }} as period_label,
    breakdown,
    breakdown_value,
    numerator::bigint as numerator,
    denominator::bigint as denominator,
    value::double as value,
    '{{ unit }}' as unit
{%- endmacro %}
