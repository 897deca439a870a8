{#-
    Reporting periods. The partnership reports by calendar month, quarter of the financial
    year (April to March; calendar quarters line up with it) and financial year; education
    measures by academic year (September to August).
-#}

{#- First day of the period of `period_type` holding the date `day`. -#}
{% macro period_start(period_type, day) -%}
    {%- if period_type == 'month' -%} date_trunc('month', {{ day }})::date
    {%- elif period_type == 'quarter' -%} date_trunc('quarter', {{ day }})::date
    {%- elif period_type == 'financial_year' -%} make_date(year({{ day }}) - (month({{ day }}) < 4)::integer, 4, 1)
    {%- elif period_type == 'academic_year' -%} make_date(year({{ day }}) - (month({{ day }}) < 9)::integer, 9, 1)
    {%- else -%} {{ exceptions.raise_compiler_error("unknown period type " ~ period_type) }}
    {%- endif -%}
{%- endmacro %}


{#- Select-list item: one row per period the date `day` falls in (columns period_type, period_start). -#}
{% macro reporting_periods(day, period_types=('month', 'quarter', 'financial_year')) -%}
    unnest([
        {%- for period_type in period_types %}
        {'period_type': '{{ period_type }}', 'period_start': {{ period_start(period_type, day) }}}{{ ',' if not loop.last }}
        {%- endfor %}
    ], recursive := true)
{%- endmacro %}


{#- Last day of a period, from its type and first day. -#}
{% macro period_end(period_type='period_type', start='period_start') -%}
    (case {{ period_type }}
        when 'month' then {{ start }} + interval 1 month
        when 'quarter' then {{ start }} + interval 3 month
        else {{ start }} + interval 12 month
    end - interval 1 day)::date
{%- endmacro %}


{#- A period's label: '2019-04' (month), '2019/20 Q1' (financial quarter), '2019/20' (financial or academic year). -#}
{% macro period_label(period_type='period_type', start='period_start') -%}
    case {{ period_type }}
        when 'month' then strftime({{ start }}, '%Y-%m')
        when 'quarter' then {{ year_label(period_start('financial_year', start)) }} || ' Q' || ((month({{ start }}) + 8) % 12 // 3 + 1)::varchar
        else {{ year_label(start) }}
    end
{%- endmacro %}


{#- '2019/20' for a year starting in 2019. -#}
{% macro year_label(start) -%}
    (year({{ start }})::varchar || '/' || right((year({{ start }}) + 1)::varchar, 2))
{%- endmacro %}
