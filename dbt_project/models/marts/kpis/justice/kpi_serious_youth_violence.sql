{#-
    KPI 9, serious youth violence (SYV), the London convention: most serious violence or
    weapon-enabled crime with a victim aged 1-19. Crimes are those the police flag as SYV
    (stg_police__crimes.is_serious_youth_violence, which applies that convention); victims are the
    involvements in the role VICTIM of those crimes aged 1-19 on the committed date (re-checked
    from the involvement's year and month of birth: the flag is per crime). By the date committed.
-#}
with victims as (
    {{ crime_victims('crimes.is_serious_youth_violence', 1, 19) }}
),

crimes as (
    select committed_date from {{ ref('stg_police__crimes') }} where is_serious_youth_violence
),

victims_counted as (
    {{ kpi_rollup('victims', 'committed_date', 'count(*) as numerator') }}
),

crimes_counted as (
    {{ kpi_rollup('crimes', 'committed_date', 'count(*) as numerator', by_person=false) }}
),

victims_filled as (  -- every breakdown value of the known 0-24 population gets a row, 0 where no victim
    {{ kpi_fill('victims_counted', ['numerator'], breakdowns=ref('int_populations_counted')) }}
),

crimes_filled as (  -- crimes, not people: 'all' only
    {{ kpi_fill('crimes_counted', ['numerator']) }}
)

select {{ kpi_columns('KPI09', 'serious_youth_violence_victims', 'count') }}
from (select *, null as denominator, numerator as value from victims_filled)
union all
select {{ kpi_columns('KPI09', 'serious_youth_violence_offences', 'count') }}
from (select *, null as denominator, numerator as value from crimes_filled)
