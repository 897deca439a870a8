with latest as (
    {{ latest_rows('yos', 'nrm_referrals') }}
)

select
    nrm_id as nrm_referral_id,
    yot_id,
    cast(referral_date as date) as referral_date,
    exploitation_type as exploitation_type_code,
    {{ lookup_code('exploitation_type', 'latest.exploitation_type') }} as exploitation_type_label,
    reasonable_grounds_decision as reasonable_grounds_decision_code,
    {{ lookup_code('nrm_decision', 'latest.reasonable_grounds_decision') }} as reasonable_grounds_decision_label,
    cast(reasonable_grounds_date as date) as reasonable_grounds_date,
    conclusive_grounds_decision as conclusive_grounds_decision_code,
    {{ lookup_code('nrm_decision', 'latest.conclusive_grounds_decision') }} as conclusive_grounds_decision_label,
    cast(conclusive_grounds_date as date) as conclusive_grounds_date,
    cast(safety_plan_recorded as boolean) as is_safety_plan_recorded,
    _load_id,
    _loaded_at
from latest
