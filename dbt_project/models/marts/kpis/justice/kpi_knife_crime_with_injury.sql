{#-
    KPI 11, knife crime with injury, victims under 25, excluding domestic abuse (London's "KCWI
    non-DA under 25"): victims (police involvements in the role VICTIM) aged 0-24 on the committed
    date of crimes flagged knife or sharp instrument and injury and not flagged domestic abuse,
    counted by the date committed. A victim of two such crimes counts twice (victims, not people).
-#}
with victims as (
    {{ crime_victims('crimes.is_knife and crimes.is_injury and not crimes.is_domestic_abuse', 0, 24) }}
),

counted as (
    {{ kpi_rollup('victims', 'committed_date', 'count(*) as numerator') }}
),

filled as (  -- every breakdown value of the known 0-24 population gets a row, 0 where no victim
    {{ kpi_fill('counted', ['numerator'], breakdowns=ref('int_populations_counted')) }}
)

select {{ kpi_columns('KPI11', 'knife_crime_with_injury_victims_under_25_non_da', 'count') }}
from (select *, null as denominator, numerator as value from filled)
