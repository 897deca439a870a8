{#-
    Helpers of the youth-justice and crime KPI marts (models/marts/kpis/justice), on top of the
    shared KPI shape (macros/kpis.sql) and reporting spine (macros/kpi_spine.sql).
-#}

{#- Victims of the police-recorded crimes matching `crime_filter` (an expression over
    stg_police__crimes as `crimes`), aged `min_age` to `max_age` on the committed date (from the
    involvement's year and month of birth): one row per victim involvement with person_key,
    committed_date and age_years. -#}
{% macro crime_victims(crime_filter, min_age, max_age) -%}
    select keys.person_key, crimes.crime_ref, crimes.committed_date,
           {{ age_on_year_month('involvements.birth_year_month', 'crimes.committed_date') }} as age_years
    from {{ ref('stg_police__crimes') }} as crimes
    inner join {{ ref('stg_police__involvements') }} as involvements on involvements.crime_ref = crimes.crime_ref
    left join {{ ref('int_agency_records_keyed') }} as keys  -- a victim not keyed yet still counts (breakdowns unknown)
        on keys.entity = 'involvement_id' and keys.record_key = involvements.involvement_id
    where involvements.role_code = 'VICTIM'
      and ({{ crime_filter }})
      and {{ age_on_year_month('involvements.birth_year_month', 'crimes.committed_date') }} between {{ min_age }} and {{ max_age }}
{%- endmacro %}
