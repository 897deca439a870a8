{#-
    KPI 10, missing children, by month, quarter and financial year of the episode's start,
    split by where the child went missing from, judged by whether the child was looked after
    (a care episode open) on the day. Social care's missing and away episodes
    (stg_social_care__missing_episodes, types M and A) cover every child known to it: those of a
    looked-after child are "from care", the rest "from home". The police's missing-person
    reports (stg_police__missing_reports) of children under 18 not looked after that day are
    "from home" too; a social-care episode from home starting within a day of a police report
    of the same child is the same episode and counts once. Children = distinct children with an
    episode starting in the period, each in the breakdowns of their first episode in it; return-home interviews as shares of the ended social-care
    episodes.
-#}
with looked_after as (
    select keys.person_key, episodes.start_date, episodes.ceased_date
    from {{ ref('stg_social_care__cla_episodes') }} as episodes
    inner join {{ ref('int_agency_records_keyed') }} as keys
        on keys.entity = 'pers_person_id' and keys.record_key = episodes.person_id
),

social_care as (
    select keys.person_key, episodes.start_date as event_date,
           exists (select 1 from looked_after
                   where looked_after.person_key = keys.person_key and looked_after.start_date <= episodes.start_date
                     and (looked_after.ceased_date is null or looked_after.ceased_date >= episodes.start_date)) as is_looked_after,
           episodes.end_date is not null as is_ended,
           coalesce(episodes.end_date is not null and episodes.is_rhi_offered, false) as is_rhi_offered,
           coalesce(episodes.end_date is not null and episodes.is_rhi_accepted, false) as is_rhi_accepted
    from {{ ref('stg_social_care__missing_episodes') }} as episodes
    inner join {{ ref('int_agency_records_keyed') }} as keys
        on keys.entity = 'pers_person_id' and keys.record_key = episodes.person_id
),

home_reports as (
    select keys.person_key, reports.reported_date as event_date
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

all_episodes as (
    select person_key, event_date,
           case when is_looked_after then 'care' else 'home' end as source,
           not is_looked_after and exists (
               select 1 from home_reports
               where home_reports.person_key = social_care.person_key
                 and abs(home_reports.event_date - social_care.event_date) <= 1) as is_reported_to_police,
           is_ended, is_rhi_offered, is_rhi_accepted
    from social_care
    union all
    select person_key, event_date, 'home', false, false, false, false
    from home_reports
),

episodes as (
    select episodes.*, {{ age_on('person.birth_year', 'person.birth_month', 'episodes.event_date') }} as age_years
    from all_episodes as episodes
    left join {{ ref('dim_person') }} as person on person.person_key = episodes.person_key
),

counted_episodes as (
    {{ kpi_rollup('episodes', 'event_date',
        "count_if(source = 'care') as episodes_from_care,
         count_if(source = 'home' and not is_reported_to_police) as episodes_from_home,
         count_if(not is_reported_to_police) as all_episodes,
         count_if(is_ended) as ended_episodes,
         count_if(is_rhi_offered) as rhi_offered,
         count_if(is_rhi_accepted) as rhi_accepted") }}
),

{#- Children once a period each, in the breakdowns of their first episode in it (so age bands add up). -#}
{%- for name, episodes in [('children_from_care', "(select * from episodes where source = 'care')"),
                           ('children_from_home', "(select * from episodes where source = 'home')"),
                           ('children', 'episodes')] %}
{{ name }} as (
    {{ kpi_people_rollup(episodes, 'event_date', 'count(*) as ' ~ name) }}
),
{% endfor %}

counted as (
    select *
    from counted_episodes
    full join children_from_care using (period_type, period_start, breakdown, breakdown_value)
    full join children_from_home using (period_type, period_start, breakdown, breakdown_value)
    full join children using (period_type, period_start, breakdown, breakdown_value)
),

filled as (
    {{ kpi_fill('counted', ['children_from_care', 'episodes_from_care', 'children_from_home', 'episodes_from_home',
                            'children', 'all_episodes', 'ended_episodes', 'rhi_offered', 'rhi_accepted']) }}
)

{%- for measure, column in [('children_missing_from_care', 'children_from_care'), ('missing_episodes_from_care', 'episodes_from_care'),
                            ('children_missing_from_home', 'children_from_home'), ('missing_episodes_from_home', 'episodes_from_home'),
                            ('children_missing', 'children'), ('missing_episodes', 'all_episodes')] %}
select {{ kpi_columns('KPI10', measure, 'count') }}
from (select *, {{ column }} as numerator, null as denominator, {{ column }} as value from filled)
union all
{%- endfor %}
select {{ kpi_columns('KPI10', 'return_home_interviews_offered', 'percent') }}
from (select *, rhi_offered as numerator, ended_episodes as denominator, rhi_offered * 100.0 / nullif(ended_episodes, 0) as value from filled)
union all
select {{ kpi_columns('KPI10', 'return_home_interviews_accepted', 'percent') }}
from (select *, rhi_accepted as numerator, ended_episodes as denominator, rhi_accepted * 100.0 / nullif(ended_episodes, 0) as value from filled)
