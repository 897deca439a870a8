{#-
    Age in whole years on `on_date` of someone born in the month starting `birth_month_start`
    (a date, the 1st of the birth month). Only the year and month of birth are kept, so the
    birthday is taken as the 1st of the month: between the 1st and the real birthday the age
    is one year higher than the true age (for less than a month each year).
-#}
{% macro age_in_years(birth_month_start, on_date) -%}
    cast(date_sub('year', {{ birth_month_start }}, {{ on_date }}) as integer)
{%- endmacro %}


{#- The 1st of the birth month from a 'YYYY-MM' year and month of birth. -#}
{% macro birth_month_start(birth_year_month) -%}
    cast({{ birth_year_month }} || '-01' as date)
{%- endmacro %}


{#- Absence rate in percent: absent sessions / possible sessions x 100; null when no session was possible. -#}
{% macro absence_rate(absent_sessions, possible_sessions) -%}
    100.0 * ({{ absent_sessions }}) / nullif({{ possible_sessions }}, 0)
{%- endmacro %}
