{#-
    Statistical disclosure control for anything leaving the partnership (domain-notes,
    "Publishing small numbers"; NHS England's rule for sub-national outputs, DfE's symbols):

    1. primary: a numerator or denominator of 1-7 is suppressed (0 stays 0);
    2. secondary: the cells of a table add up to a total - the breakdown values of a partition
       (sex, age band, ethnicity group, ethnicity) to the 'all' row, and for numerators (flows)
       the months of a quarter to the quarter and the quarters of a financial year to the year
       (denominators are populations on a day, which do not add up over time). In every such group
       with a total row, the total counted as one of its cells, one hidden cell could be recovered by subtraction, so
       wherever exactly one is hidden the smallest visible non-zero member is hidden too, repeated
       until nothing changes (`passes` rounds; the `disclosure_controlled` test proves it settled);
    3. every count shown is rounded to the nearest 5; rates are recomputed from the rounded counts
       (so no exact count can be worked back from a rate) and hidden when either count is hidden;
       means are shown to 2 decimals only over 8 or more people.

    Hidden values are null with the flag 'c' (DfE: confidential).
-#}
{% macro disclosure_control(relation, passes=8) -%}
    with pass_0 as (
        select *,
               coalesce(numerator between 1 and 7, false) as numerator_hidden,
               coalesce(denominator between 1 and 7, false) as denominator_hidden
        from {{ relation }}
    ),
    {%- set last = namespace(cte='pass_0') %}
    {%- for column in ['numerator', 'denominator'] %}
    {%- for pass in range(1, passes + 1) %}
    {%- set this_cte = column ~ '_pass_' ~ pass %}
    {{ this_cte }} as (
        {{ _secondary_suppression_pass(last.cte, column) }}
    ),
    {%- set last.cte = this_cte %}
    {%- endfor %}
    {%- endfor %}

    rounded as (
        select *,
               case when not numerator_hidden then round(numerator / 5) * 5 end as shown_numerator,
               case when not denominator_hidden then round(denominator / 5) * 5 end as shown_denominator
        from {{ last.cte }}
    )

    select
        kpi_code, measure, period_type, period_start, period_end, period_label, breakdown, breakdown_value,
        shown_numerator::bigint as numerator,
        shown_denominator::bigint as denominator,
        case
            when numerator_hidden or denominator_hidden then null
            when unit = 'count' then shown_numerator
            when unit in ('percent', 'rate_per_100') then round(shown_numerator * 100.0 / nullif(shown_denominator, 0), 1)
            when unit = 'rate_per_1000' then round(shown_numerator * 1000.0 / nullif(shown_denominator, 0), 1)
            when unit = 'rate_per_100000' then round(shown_numerator * 100000.0 / nullif(shown_denominator, 0), 1)
            else round(value, 2)
        end::double as value,
        unit,
        case when numerator_hidden then 'c' end as numerator_flag,
        case when denominator_hidden then 'c' end as denominator_flag,
        case when numerator_hidden or denominator_hidden then 'c' end as value_flag
    from rounded
{%- endmacro %}


{#- The disclosure groups of a count column: (name, partition, which rows are members, which row is the total). -#}
{% macro _disclosure_groups(column) -%}
    {%- set groups = [
        ('partition',
         "measure, period_type, period_start, case when breakdown = 'all' then null else breakdown end",
         "breakdown in ('sex', 'age_band', 'ethnicity_group', 'ethnicity')",
         "breakdown = 'all'"),
        ('months',
         "measure, breakdown, breakdown_value, case period_type when 'month' then " ~ period_start('quarter', 'period_start') ~ " when 'quarter' then period_start end",
         "period_type = 'month'",
         "period_type = 'quarter'"),
        ('quarters',
         "measure, breakdown, breakdown_value, case period_type when 'quarter' then " ~ period_start('financial_year', 'period_start') ~ " when 'financial_year' then period_start end",
         "period_type = 'quarter'",
         "period_type = 'financial_year'"),
    ] %}
    {{ return(groups if column == 'numerator' else groups[:1]) }}
{%- endmacro %}


{#- One round of secondary suppression of `column` over every disclosure group: where a group has
    exactly one hidden cell, hide its smallest visible non-zero member, or, when it has none (the
    others are zeros), its total - even a zero total, which distinct-people counts can leave (a child
    counted at 18 in a month and at 17 in the quarter). -#}
{% macro _secondary_suppression_pass(previous, column) -%}
    {%- set groups = _disclosure_groups(column) %}
    select * exclude (
        {%- for name, _, _, _ in groups %}
        {{ name }}_hidden_members, {{ name }}_totals, {{ name }}_hidden_total, {{ name }}_visible_members, {{ name }}_rank, {{ name }}_hide_total{{ ',' if not loop.last }}
        {%- endfor %}
    ) replace (
        {{ column }}_hidden
        {%- for name, _, members, total in groups %}
        or ({{ members }} and coalesce({{ column }}, 0) > 0 and {{ name }}_rank = 1 and {{ name }}_totals > 0
            and {{ name }}_hidden_members + {{ name }}_hidden_total::integer = 1)
        or ({{ total }} and {{ name }}_hide_total)
        {%- endfor %}
        as {{ column }}_hidden
    )
    from (
        select *,
            {%- for name, partition, members, total in groups %}
            coalesce(bool_or({{ members }} and {{ name }}_totals > 0 and {{ name }}_hidden_members + {{ name }}_hidden_total::integer = 1 and {{ name }}_visible_members = 0)
                over (partition by {{ _disclosure_total_partition(name, partition) }}), false) as {{ name }}_hide_total{{ ',' if not loop.last }}
            {%- endfor %}
        from (
            select *,
                {%- for name, partition, members, total in groups %}
                count(*) filter (where {{ members }} and {{ column }}_hidden) over (partition by {{ partition }}) as {{ name }}_hidden_members,
                count(*) filter (where {{ total }}) over (partition by {{ _disclosure_total_partition(name, partition) }}) as {{ name }}_totals,
                coalesce(bool_or({{ column }}_hidden) filter (where {{ total }})
                    over (partition by {{ _disclosure_total_partition(name, partition) }}), false) as {{ name }}_hidden_total,
                count(*) filter (where {{ members }} and not {{ column }}_hidden and coalesce({{ column }}, 0) > 0)
                    over (partition by {{ partition }}) as {{ name }}_visible_members,
                row_number() over (
                    partition by {{ partition }}
                    order by not ({{ members }}), {{ column }}_hidden or coalesce({{ column }}, 0) = 0, {{ column }}, breakdown_value, period_start
                ) as {{ name }}_rank{{ ',' if not loop.last }}
                {%- endfor %}
            from {{ previous }}
        )
    )
{%- endmacro %}


{#- The rows holding a group's total: the 'all' row is the total of every partition of its measure and period. -#}
{% macro _disclosure_total_partition(name, partition) -%}
    {{ 'measure, period_type, period_start' if name == 'partition' else partition }}
{%- endmacro %}
