with latest as (
    {{ latest_rows('social_care', 'ssd_cin_assessments') }}
)

select
    cina_assessment_id as assessment_id,
    cina_person_id as person_id,
    cina_referral_id as referral_id,
    cast(cina_assessment_start_date as date) as start_date,
    cast(cina_assessment_auth_date as date) as authorised_date,
    _load_id,
    _loaded_at
from latest
