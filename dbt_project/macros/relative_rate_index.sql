{#-
    KPI 8, disproportionality: the Relative Rate Index of each ethnic group against White British
    (WBRI) peers at each stage of the youth justice and exclusion pathway, from the stage
    measures' breakdown = 'ethnicity' rows of `relation` (kpi_values, or pub_kpis for the
    published version, whose counts are rounded and hidden under disclosure control).

    RRI = (a / n1) / (c / n2), a and c the people at the stage in the group and among White
    British peers, n1 and n2 their populations. 95% confidence interval on the log scale
    (Katz): exp(ln RRI +- 1.96 * sqrt(1/a - 1/n1 + 1/c - 1/n2)); null when a count is 0 or hidden.
-#}
{% macro kpi_rri_stages() -%}
    {{ return([
        ('arrest', 'children_arrested'),
        ('first_time_entry', 'first_time_entrants'),
        ('custody', 'children_sentenced_to_custody'),
        ('suspension', 'pupils_suspended'),
        ('permanent_exclusion', 'pupils_permanently_excluded'),
    ]) }}
{%- endmacro %}


{% macro relative_rate_index(relation) -%}
    with stages as (
        select
            case measure
                {%- for stage, measure in kpi_rri_stages() %}
                when '{{ measure }}' then '{{ stage }}'
                {%- endfor %}
            end as stage,
            measure, period_type, period_start, period_end, period_label,
            breakdown_value as ethnicity_code, numerator, denominator
        from {{ relation }}
        where breakdown = 'ethnicity' and period_type in ('financial_year', 'academic_year')
          and measure in ({% for _, measure in kpi_rri_stages() %}'{{ measure }}'{{ ', ' if not loop.last }}{% endfor %})
    ),

    compared as (
        select
            groups.*,
            reference.numerator as reference_count,
            reference.denominator as reference_population,
            groups.numerator::double / nullif(groups.denominator, 0) as group_rate,
            reference.numerator::double / nullif(reference.denominator, 0) as reference_rate,
            case when groups.numerator > 0 and reference.numerator > 0 then sqrt(
                1.0 / groups.numerator - 1.0 / groups.denominator + 1.0 / reference.numerator - 1.0 / reference.denominator
            ) end as log_standard_error
        from stages as groups
        inner join stages as reference
            on reference.measure = groups.measure and reference.period_type = groups.period_type
            and reference.period_start = groups.period_start and reference.ethnicity_code = 'WBRI'
        where groups.ethnicity_code not in ('WBRI', 'unknown')
    )

    select
        stage, measure, period_type, period_start, period_end, period_label, ethnicity_code,
        numerator::bigint as group_count,
        denominator::bigint as group_population,
        round(group_rate * 1000, 2)::double as group_rate_per_1000,
        reference_count::bigint as reference_count,
        reference_population::bigint as reference_population,
        round(reference_rate * 1000, 2)::double as reference_rate_per_1000,
        round(group_rate / nullif(reference_rate, 0), 2)::double as rri,
        round(group_rate / nullif(reference_rate, 0) * exp(-1.96 * log_standard_error), 2)::double as rri_lower_95,
        round(group_rate / nullif(reference_rate, 0) * exp(1.96 * log_standard_error), 2)::double as rri_upper_95
    from compared
{%- endmacro %}
