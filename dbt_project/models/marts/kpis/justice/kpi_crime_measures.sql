{#-
    Figure 1 of the strategy (section 4): police-recorded notifiable offences in the borough by
    the date committed, counted as crimes (not people): all of them, knife or sharp-instrument
    crimes (used or threatened) and firearm crimes (used or threatened).
-#}
with crimes as (
    select committed_date, is_knife, is_firearm
    from {{ ref('stg_police__crimes') }}
),

counted as (
    {{ kpi_rollup('crimes', 'committed_date',
        'count(*) as total_notifiable_offences, count(*) filter (where is_knife) as knife_crime_offences, '
        ~ 'count(*) filter (where is_firearm) as gun_crime_offences', by_person=false) }}
),

grid as (
    {{ kpi_grid(by_person=false) }}
)

{%- for measure in ['total_notifiable_offences', 'knife_crime_offences', 'gun_crime_offences'] %}
select {{ kpi_columns('FIG1', measure, 'count') }}
from (
    select grid.*, coalesce(counted.{{ measure }}, 0) as numerator, null as denominator,
           coalesce(counted.{{ measure }}, 0) as value
    from grid
    left join counted using (period_type, period_start, breakdown, breakdown_value)
)
{{ 'union all' if not loop.last }}
{%- endfor %}
