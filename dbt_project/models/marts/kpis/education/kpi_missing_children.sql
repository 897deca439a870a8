{#-
    KPI 10, missing children, by month, quarter and financial year of the episode's start:
    from care, the missing (M) and away-from-placement (A) episodes children's social care
    records (stg_social_care__missing_episodes); from home, the police missing-person reports
    (stg_police__missing_reports) of children under 18 who were not looked after on the day
    reported (no care episode open that day), so a child missing from care the police also
    report counts once, from care. Children = distinct children with an episode starting in the
    period; return-home interviews (care episodes) as shares of the episodes that have ended.
-#}
with care_episodes as (
    select keys.person_key, episodes.start_date as event_date, 'care' as source,
           episodes.end_date is not null as is_ended,
           coalesce(episodes.end_date is not null and episodes.is_rhi_offered, false) as is_rhi_offered,
           coalesce(episodes.end_date is not null and episodes.is_rhi_accepted, false) as is_rhi_accepted
    from {{ ref('stg_social_care__missing_episodes') }} as episodes
    inner join {{ ref('int_agency_records_keyed') }} as keys
        on keys.entity = 'pers_person_id' and keys.record_key = episodes.person_id
),

looked_after as (
    select keys.person_key, episodes.start_date, episodes.ceased_date
    from {{ ref('stg_social_care__cla_episodes') }} as episodes
    inner join {{ ref('int_agency_records_keyed') }} as keys
        on keys.entity = 'pers_person_id' and keys.record_key = episodes.person_id
),

home_reports as (
    select keys.person_key, reports.reported_date as event_date, 'home' as source,
           false as is_ended, false as is_rhi_offered, false as is_rhi_accepted
    from {{ ref('stg_police__missing_reports') }} as reports
    inner join {{ ref('int_agency_records_keyed') }} as keys
        on keys.entity = 'report_id' and keys.record_key = reports.missing_report_id
    where reports.age_at_reported_date < 18
      and not exists (
          select 1 from looked_after
          where looked_after.person_key = keys.person_key
            and looked_after.start_date <= reports.reported_date
            and (looked_after.ceased_date is null or looked_after.ceased_date >= reports.reported_date))
),

episodes as (
    select episodes.*, {{ age_on('person.birth_year', 'person.birth_month', 'episodes.event_date') }} as age_years
    from (select * from care_episodes union all select * from home_reports) as episodes
    left join {{ ref('dim_person') }} as person on person.person_key = episodes.person_key
),

counted as (
    {{ kpi_rollup('episodes', 'event_date',
        "count(distinct person_key) filter (where source = 'care') as children_from_care,
         count_if(source = 'care') as episodes_from_care,
         count(distinct person_key) filter (where source = 'home') as children_from_home,
         count_if(source = 'home') as episodes_from_home,
         count(distinct person_key) as children,
         count(*) as all_episodes,
         count_if(is_ended) as ended_from_care,
         count_if(is_rhi_offered) as rhi_offered,
         count_if(is_rhi_accepted) as rhi_accepted") }}
),

filled as (
    {{ kpi_fill('counted', ['children_from_care', 'episodes_from_care', 'children_from_home', 'episodes_from_home',
                            'children', 'all_episodes', 'ended_from_care', 'rhi_offered', 'rhi_accepted']) }}
)

{%- for measure, column in [('children_missing_from_care', 'children_from_care'), ('missing_episodes_from_care', 'episodes_from_care'),
                            ('children_missing_from_home', 'children_from_home'), ('missing_episodes_from_home', 'episodes_from_home'),
                            ('children_missing', 'children'), ('missing_episodes', 'all_episodes')] %}
select {{ kpi_columns('KPI10', measure, 'count') }}
from (select *, {{ column }} as numerator, null as denominator, {{ column }} as value from filled)
union all
{%- endfor %}
select {{ kpi_columns('KPI10', 'return_home_interviews_offered', 'percent') }}
from (select *, rhi_offered as numerator, ended_from_care as denominator, rhi_offered * 100.0 / nullif(ended_from_care, 0) as value from filled)
union all
select {{ kpi_columns('KPI10', 'return_home_interviews_accepted', 'percent') }}
from (select *, rhi_accepted as numerator, ended_from_care as denominator, rhi_accepted * 100.0 / nullif(ended_from_care, 0) as value from filled)
