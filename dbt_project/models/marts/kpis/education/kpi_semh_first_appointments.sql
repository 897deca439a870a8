{#-
    KPI 12, SEMH first appointment within 4 weeks: of the social, emotional and mental health
    referrals in a month, quarter or financial year (date received), the share whose first
    attended appointment is 0-28 days after the referral. A referral still waiting counts once
    its outcome is known: when an appointment is recorded or when 28 days have passed by the
    latest day the SEMH extract was loaded (then it missed the 4 weeks); until then it is left
    out of the denominator (counted in `semh_referrals_awaiting`).
-#}
with as_at as (
    select max(_loaded_at)::date as as_at_date from {{ ref('stg_health__semh_referrals') }}
),

referrals as (
    select keys.person_key, referrals.referral_date, referrals.age_at_referral_date as age_years,
           referrals.first_appointment_date is not null
               or referrals.referral_date + 28 < as_at.as_at_date as is_outcome_known,
           coalesce(referrals.first_appointment_date - referrals.referral_date between 0 and 28, false) as is_within_28_days
    from {{ ref('stg_health__semh_referrals') }} as referrals
    cross join as_at
    inner join {{ ref('int_agency_records_keyed') }} as keys
        on keys.entity = 'referral_id' and keys.record_key = referrals.referral_id
),

counted as (
    {{ kpi_rollup('referrals', 'referral_date',
        'count(*) as referrals, count_if(is_outcome_known) as outcome_known, count_if(is_within_28_days) as within_28_days') }}
),

filled as (
    {{ kpi_fill('counted', ['referrals', 'outcome_known', 'within_28_days']) }}
)

select {{ kpi_columns('KPI12', 'semh_referrals', 'count') }}
from (select *, referrals as numerator, null as denominator, referrals as value from filled)
union all
select {{ kpi_columns('KPI12', 'semh_referrals_awaiting', 'count') }}
from (select *, referrals - outcome_known as numerator, null as denominator, referrals - outcome_known as value from filled)
union all
select {{ kpi_columns('KPI12', 'first_appointment_within_28_days', 'percent') }}
from (select *, within_28_days as numerator, outcome_known as denominator, within_28_days * 100.0 / nullif(outcome_known, 0) as value from filled)
