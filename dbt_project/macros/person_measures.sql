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


{#- Age in whole years on `day` from a 'YYYY-MM' year and month of birth (macro age_in_years). -#}
{% macro age_on_year_month(birth_year_month, day) -%}
    {{ age_in_years(birth_month_start(birth_year_month), day) }}
{%- endmacro %}


{#- Absence rate in percent: absent sessions / possible sessions x 100; null when no session was possible. -#}
{% macro absence_rate(absent_sessions, possible_sessions) -%}
    100.0 * ({{ absent_sessions }}) / nullif({{ possible_sessions }}, 0)
{%- endmacro %}


{#- age_in_years from a year and a month of birth held as numbers (dim_person). -#}
{% macro age_on(birth_year, birth_month, day) -%}
    {{ age_in_years('make_date(' ~ birth_year ~ ', ' ~ birth_month ~ ', 1)', day) }}
{%- endmacro %}


{#- The partnership's age bands: 0-9, 10-14, 15-17, 18-24, 25+ (null age stays null). -#}
{% macro age_band(age) -%}
    case
        when {{ age }} < 10 then '0-9'
        when {{ age }} <= 14 then '10-14'
        when {{ age }} <= 17 then '15-17'
        when {{ age }} <= 24 then '18-24'
        when {{ age }} >= 25 then '25+'
    end
{%- endmacro %}
