with latest as (
    {{ latest_rows('social_care', 'ssd_cin_episodes') }}
)

select
    cine_referral_id as referral_id,
    cine_person_id as person_id,
    cast(cine_referral_date as date) as referral_date,
    cine_referral_source_code as referral_source_code,
    {{ lookup_code('referral_source', 'latest.cine_referral_source_code') }} as referral_source_label,
    cine_cin_primary_need_code as primary_need_code,
    {{ lookup_code('cin_primary_need', 'latest.cine_cin_primary_need_code') }} as primary_need_label,
    cast(cine_close_date as date) as close_date,
    _load_id,
    _loaded_at
from latest
