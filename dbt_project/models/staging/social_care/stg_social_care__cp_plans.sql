with latest as (
    {{ latest_rows('social_care', 'ssd_cp_plans') }}
)

select
    cppl_cp_plan_id as cp_plan_id,
    cppl_referral_id as referral_id,
    cppl_person_id as person_id,
    cast(cppl_cp_plan_start_date as date) as start_date,
    cast(cppl_cp_plan_end_date as date) as end_date,
    cppl_cp_plan_initial_category as initial_category_code,
    {{ lookup_code('cp_category', 'latest.cppl_cp_plan_initial_category') }} as initial_category_label,
    _load_id,
    _loaded_at
from latest
