{#- Fails on any published row that breaks disclosure control: a count of 1-7 or one not rounded to
    5, a value shown over a hidden count, or a disclosure group (macro _disclosure_groups, its total
    counted as a cell) with a total row and exactly one hidden cell, which subtraction would recover (reported on
    the group's member rows). -#}
{% test disclosure_controlled(model) %}
    with flagged as (
        select *, numerator_flag = 'c' as numerator_hidden, denominator_flag = 'c' as denominator_hidden
        from {{ model }}
    ),

    {%- for column in ['numerator', 'denominator'] %}
    {{ column }}_groups as (
        {%- for name, partition, members, total in _disclosure_groups(column) %}
        select distinct '{{ name }}' as disclosure_group, '{{ column }}' as count_column, measure, period_type, period_start, breakdown, breakdown_value
        from (
            select *,
                count(*) filter (where {{ members }} and {{ column }}_hidden) over (partition by {{ partition }}) as hidden_members,
                count(*) filter (where {{ total }}) over (partition by {{ _disclosure_total_partition(name, partition) }}) as totals,
                coalesce(bool_or({{ column }}_hidden) filter (where {{ total }}) over (partition by {{ _disclosure_total_partition(name, partition) }}), false) as hidden_total
            from flagged
        )
        where {{ members }} and totals > 0 and hidden_members + hidden_total::integer = 1
        {{ 'union all' if not loop.last }}
        {%- endfor %}
    ),
    {%- endfor %}

    bad_cells as (
        select 'count_not_controlled' as disclosure_group, 'numerator' as count_column, measure, period_type, period_start, breakdown, breakdown_value
        from flagged
        where numerator between 1 and 7 or numerator % 5 <> 0 or denominator between 1 and 7 or denominator % 5 <> 0
           or ((numerator_hidden or denominator_hidden) and value is not null)
    )

    select * from numerator_groups
    union all select * from denominator_groups
    union all select * from bad_cells
{% endtest %}
