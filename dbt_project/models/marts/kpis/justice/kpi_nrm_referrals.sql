{#-
    KPI 7, National Referral Mechanism (NRM): referrals of children (under 18 on the referral
    date) recorded by the YOS, by referral date; the share with a positive reasonable-grounds
    decision and with a positive conclusive-grounds decision (seed nrm_decision.is_positive) of
    all the period's referrals; and the share of referrals with a positive decision (either
    stage) whose safety plan is recorded.
-#}
with referrals as (
    select keys.person_key, referrals.referral_date,
           {{ age_on('person.birth_year', 'person.birth_month', 'referrals.referral_date') }} as age_years,
           coalesce(reasonable.is_positive, false) as is_reasonable_positive,
           coalesce(conclusive.is_positive, false) as is_conclusive_positive,
           coalesce(referrals.is_safety_plan_recorded, false) as is_safety_plan_recorded
    from {{ ref('stg_yos__nrm_referrals') }} as referrals
    left join {{ ref('int_agency_records_keyed') }} as keys on keys.entity = 'yot_id' and keys.record_key = referrals.yot_id
    left join {{ ref('dim_person') }} as person on person.person_key = keys.person_key
    left join {{ ref('nrm_decision') }} as reasonable on reasonable.code = referrals.reasonable_grounds_decision_code
    left join {{ ref('nrm_decision') }} as conclusive on conclusive.code = referrals.conclusive_grounds_decision_code
    where {{ age_on('person.birth_year', 'person.birth_month', 'referrals.referral_date') }} < 18
),

counted as (
    {{ kpi_rollup('referrals', 'referral_date',
        'count(*) as referrals, '
        ~ 'count(*) filter (where is_reasonable_positive) as reasonable_positive, '
        ~ 'count(*) filter (where is_conclusive_positive) as conclusive_positive, '
        ~ 'count(*) filter (where is_reasonable_positive or is_conclusive_positive) as positive, '
        ~ 'count(*) filter (where (is_reasonable_positive or is_conclusive_positive) and is_safety_plan_recorded) as positive_with_safety_plan') }}
),

measured as (  -- every breakdown value of the known 0-24 population gets a row, 0 where no referral
    {{ kpi_fill('counted', ['referrals', 'reasonable_positive', 'conclusive_positive', 'positive', 'positive_with_safety_plan'],
                breakdowns=ref('int_populations_counted')) }}
)

select {{ kpi_columns('KPI07', 'nrm_referrals', 'count') }}
from (select *, referrals as numerator, null as denominator, referrals as value from measured)
{%- for measure, numerator, denominator in [
    ('positive_reasonable_grounds_pct', 'reasonable_positive', 'referrals'),
    ('positive_conclusive_grounds_pct', 'conclusive_positive', 'referrals'),
    ('safety_plan_after_positive_decision_pct', 'positive_with_safety_plan', 'positive')] %}
union all
select {{ kpi_columns('KPI07', measure, 'percent') }}
from (
    select *, {{ numerator }} as numerator, {{ denominator }} as denominator,
           {{ numerator }} * 100.0 / nullif({{ denominator }}, 0) as value
    from measured
)
{%- endfor %}
