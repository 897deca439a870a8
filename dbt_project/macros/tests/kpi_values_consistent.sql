{#- Fails on every KPI row whose value does not follow from its numerator and denominator:
    counts negative; a count that is not its numerator; a percentage outside 0-100 or not
    numerator ÷ denominator × 100 (a rate per 100 likewise, without the upper bound); a rate or
    percentage on an empty denominator that is not null; a period ending before it starts. -#}
{% test kpi_values_consistent(model) %}
    select *
    from {{ model }}
    where numerator < 0 or denominator < 0 or period_end < period_start
       or (unit = 'count' and value is distinct from numerator)
       or (unit = 'percent' and (value < 0 or value > 100 or numerator > denominator))
       or (unit in ('percent', 'rate_per_100') and denominator > 0
           and abs(value - numerator * 100.0 / denominator) > 1e-9)
       or (unit in ('percent', 'rate_per_100') and coalesce(denominator, 0) = 0 and value is not null)
{% endtest %}
