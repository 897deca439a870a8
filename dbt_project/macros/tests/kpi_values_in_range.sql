{#- Fails on every KPI row whose counts or value are negative, or whose percentage is above 100. -#}
{% test kpi_values_in_range(model) %}
    select *
    from {{ model }}
    where numerator < 0
       or denominator < 0
       or value < 0
       or (unit = 'percent' and value > 100)
{% endtest %}
