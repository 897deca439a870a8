{#-
    Figure 1 of the strategy (section 4): police-recorded notifiable offences in the borough by
    the date committed, counted as crimes (not people): all of them, knife or sharp-instrument
    crimes (used or threatened) and firearm crimes (used or threatened).
-#}
{%- set measures = ['total_notifiable_offences', 'knife_crime_offences', 'gun_crime_offences'] %}
with crimes as (
    select committed_date, is_knife, is_firearm
    from {{ ref('stg_police__crimes') }}
),

counted as (
    {{ kpi_rollup('crimes', 'committed_date',
        'count(*) as total_notifiable_offences, count(*) filter (where is_knife) as knife_crime_offences, '
        ~ 'count(*) filter (where is_firearm) as gun_crime_offences', by_person=false) }}
),

filled as (
    {{ kpi_fill('counted', measures) }}
)

{%- for measure in measures %}
select {{ kpi_columns('FIG1', measure, 'count') }}
from (select *, {{ measure }} as numerator, null as denominator, {{ measure }} as value from filled)
{{ 'union all' if not loop.last }}
{%- endfor %}
