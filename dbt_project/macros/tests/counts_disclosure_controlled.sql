{#- Fails on any row of a published wide table showing a count of 1-7 or one not rounded to 5. -#}
{% test counts_disclosure_controlled(model, columns) %}
    select *
    from {{ model }}
    where {% for column in columns %}({{ column }} between 1 and 7 or {{ column }} % 5 <> 0){{ ' or ' if not loop.last }}{% endfor %}
{% endtest %}
