{#-
    Point-in-time features per person and month end (the Spark review profile, strategy 5.3),
    for people aged 8 to 17 on the snapshot date and already known to some agency. Snapshots run
    from the month of the earliest event to the month of the latest. Every feature uses only
    events dated on or before the snapshot date (fct_person_events dates an event by the day the
    agency knew of it) and attendance terms whose last day is on or before it.

    How: per person, each event changes running counters on its date (an episode also closes
    on its end date); each snapshot takes the counters of its latest change on or before the
    snapshot date (an ASOF join), and "last 12 months" subtracts those of a year before.
    Episodes count as open on a date when started on or before it and ended after it.
-#}
{%- set counters = {
    'suspensions': "event_type = 'suspension'",
    'permanent_exclusions': "event_type = 'permanent_exclusion'",
    'csc_referrals': "event_type = 'csc_referral'",
    'dv_factors': "event_type = 'assessment_factor' and event_code in ('3A', '3B', '3C')",
    'gangs_factors': "event_type = 'assessment_factor' and event_code = '13A'",
    'cce_factors': "event_type = 'assessment_factor' and event_code = '24A'",
    'cse_factors': "event_type = 'assessment_factor' and event_code = '11A'",
    'cp_plans': "event_type = 'cp_plan'",
    'care_episodes': "event_type = 'care_episode'",
    'missing_episodes': "event_type in ('missing_episode', 'missing_report')",
    'victim_contacts': "event_type = 'police_victim'",
    'suspect_contacts': "event_type in ('police_suspect', 'police_accused')",
    'arrests': "event_type = 'arrest'",
    'yos_interventions': "event_type = 'yos_intervention'",
    'yos_events': "source = 'yos'",
    'substantive_outcomes': "event_type = 'yos_outcome' and is_substantive",
    'nrm_referrals': "event_type = 'nrm_referral'",
    'semh_referrals': "event_type = 'semh_referral'",
    'primary_schools': "is_first_entry_to_school and school_phase = 'primary'",
    'secondary_schools': "is_first_entry_to_school and school_phase = 'secondary'",
} -%}
{%- set open_episodes = {'open_cin_referrals': 'csc_referral', 'open_cp_plans': 'cp_plan', 'open_care_episodes': 'care_episode'} -%}

with events as (
    select
        events.*,
        outcomes.is_substantive,
        schools.phase as school_phase,
        events.event_type = 'school_entry' and row_number() over (
            partition by events.person_key, events.event_type, events.event_code order by events.event_date, events.event_id
        ) = 1 as is_first_entry_to_school
    from {{ ref('fct_person_events') }} as events
    left join {{ ref('youth_outcome') }} as outcomes
        on events.event_type = 'yos_outcome' and outcomes.code = events.event_code
    left join {{ ref('school') }} as schools
        on events.event_type = 'school_entry' and schools.code = events.event_code
),

changes as (
    select *, event_date as change_date, 1 as delta from events
    union all
    select *, greatest(event_end_date, event_date), -1 from events
    where event_end_date is not null and event_type in ('{{ open_episodes.values() | join("', '") }}')
),

daily as (
    select
        person_key,
        change_date,
        {%- for name, condition in counters.items() %}
        count(*) filter (where delta = 1 and {{ condition }}) as {{ name }},
        {%- endfor %}
        {%- for name, event_type in open_episodes.items() %}
        sum(delta) filter (where event_type = '{{ event_type }}') as {{ name }}{{ ',' if not loop.last }}
        {%- endfor %}
    from changes
    group by person_key, change_date
),

running as (
    select
        person_key,
        change_date,
        {%- for name in (counters.keys() | list) + (open_episodes.keys() | list) %}
        cast(coalesce(sum({{ name }}) over history, 0) as integer) as {{ name }}{{ ',' if not loop.last }}
        {%- endfor %}
    from daily
    window history as (partition by person_key order by change_date rows between unbounded preceding and current row)
),

terms as (
    -- the person's terms, across their schools that term
    select
        person_key,
        term_last_day,
        sum(sessions_possible) as sessions_possible,
        sum(sessions_authorised + sessions_unauthorised) as sessions_absent,
        bool_or(is_persistent_absence) as is_persistent_absence,
        bool_or(is_severe_absence) as is_severe_absence
    from {{ ref('fct_attendance') }}
    where term_last_day is not null
    group by person_key, term_last_day
),

term_history as (
    select
        person_key,
        term_last_day,
        is_persistent_absence,
        is_severe_absence,
        {{ absence_rate('sum(sessions_absent) over last_3', 'sum(sessions_possible) over last_3') }} as absence_rate_last_3_terms,
        cast(count(*) filter (where is_persistent_absence) over last_3 as integer) as persistent_absence_terms_last_3
    from terms
    window last_3 as (partition by person_key order by term_last_day rows between 2 preceding and current row)
),

data_months as (
    -- complete months of the reporting history: from var('reporting_start') (or the first event,
    -- if later) to the month before the latest night's, whatever the events say
    select greatest(date_trunc('month', min(event_date)), date '{{ var("reporting_start") }}') as first_month,
           date_trunc('month', {{ kpi_last_day() }}) - interval 1 month as last_month
    from events
),

people as (
    select
        persons.person_key,
        make_date(persons.birth_year, persons.birth_month, 1) as birth_month_start,
        min(events.event_date) as first_known_date,
        min(events.event_date) filter (where events.source = 'social_care') as first_csc_date,
        min(events.event_date) filter (where events.event_type = 'arrest') as first_arrest_date
    from {{ ref('dim_person') }} as persons
    inner join events on events.person_key = persons.person_key
    where persons.birth_year is not null and persons.birth_month is not null
    group by persons.person_key, persons.birth_year, persons.birth_month
),

snapshots as (
    -- month ends from the month of the 8th birthday (birthday the 1st of the birth month) to the
    -- month before the 18th, once known to an agency, within the months with data
    select
        people.*,
        last_day(cast(months.month_start as date)) as snapshot_date,
        last_day(cast(months.month_start - interval 12 month as date)) as year_before_date
    from people
    cross join data_months
    cross join unnest(generate_series(
        greatest(data_months.first_month, date_trunc('month', people.first_known_date), people.birth_month_start + interval 8 year),
        least(data_months.last_month, people.birth_month_start + interval 18 year - interval 1 month),
        interval 1 month
    )) as months(month_start)
)

select
    snapshots.person_key,
    snapshots.snapshot_date,
    {{ age_in_years('snapshots.birth_month_start', 'snapshots.snapshot_date') }} as age_years,
    case when snapshots.first_csc_date <= snapshots.snapshot_date
        then {{ age_in_years('snapshots.birth_month_start', 'snapshots.first_csc_date') }} end as age_first_known_to_csc,
    coalesce(now.dv_factors > 0, false) as has_dv_factor,
    coalesce(now.gangs_factors > 0, false) as has_gangs_factor,
    coalesce(now.cce_factors > 0, false) as has_cce_factor,
    coalesce(now.cse_factors > 0, false) as has_cse_factor,
    coalesce(now.primary_schools, 0) as primary_schools_attended,
    coalesce(now.secondary_schools, 0) as secondary_schools_attended,
    terms.absence_rate_last_3_terms,
    coalesce(terms.persistent_absence_terms_last_3, 0) as persistent_absence_terms_last_3,
    coalesce(terms.is_persistent_absence, false) as is_persistently_absent_latest_term,
    coalesce(terms.is_severe_absence, false) as is_severely_absent_latest_term,
    coalesce(now.suspensions, 0) - coalesce(year_before.suspensions, 0) as suspensions_last_12m,
    coalesce(now.suspensions, 0) as suspensions_ever,
    coalesce(now.permanent_exclusions, 0) as permanent_exclusions_ever,
    coalesce(now.csc_referrals, 0) as csc_referrals_ever,
    coalesce(now.open_cin_referrals > 0, false) as is_child_in_need_open,
    coalesce(now.cp_plans > 0, false) as has_cp_plan_ever,
    coalesce(now.open_cp_plans > 0, false) as is_on_cp_plan,
    coalesce(now.care_episodes > 0, false) as has_been_looked_after,
    coalesce(now.open_care_episodes > 0, false) as is_looked_after,
    coalesce(now.missing_episodes, 0) - coalesce(year_before.missing_episodes, 0) as missing_episodes_last_12m,
    coalesce(now.missing_episodes, 0) as missing_episodes_ever,
    coalesce(now.victim_contacts, 0) as police_victim_contacts_ever,
    coalesce(now.suspect_contacts, 0) as police_suspect_contacts_ever,
    coalesce(now.arrests, 0) as arrests_ever,
    case when snapshots.first_arrest_date <= snapshots.snapshot_date
        then {{ age_in_years('snapshots.birth_month_start', 'snapshots.first_arrest_date') }} end as age_first_arrest,
    coalesce(now.yos_interventions, 0) as yos_interventions_ever,
    coalesce(now.yos_events > 0, false) as is_known_to_yos,
    coalesce(now.substantive_outcomes > 0, false) as has_substantive_outcome,
    coalesce(now.nrm_referrals, 0) as nrm_referrals_ever,
    coalesce(now.semh_referrals, 0) as semh_referrals_ever
from snapshots
asof left join running as now
    on now.person_key = snapshots.person_key and now.change_date <= snapshots.snapshot_date
asof left join running as year_before
    on year_before.person_key = snapshots.person_key and year_before.change_date <= snapshots.year_before_date
asof left join term_history as terms
    on terms.person_key = snapshots.person_key and terms.term_last_day <= snapshots.snapshot_date
