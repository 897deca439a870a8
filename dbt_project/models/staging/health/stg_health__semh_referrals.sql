with latest as (
    {{ latest_rows('health', 'semh_referrals') }}
)

select
    referral_id,
    nhs_number,
    birth_year_month,
    cast(age_at_referral_date as integer) as age_at_referral_date,
    sex as sex_code,
    {{ lookup_code('sex', 'latest.sex') }} as sex_label,
    postcode_district,
    postcode_lsoa,
    service as service_code,
    {{ lookup_code('semh_service', 'latest.service') }} as service_label,
    cast(referral_date as date) as referral_date,
    cast(first_appointment_date as date) as first_appointment_date,
    _load_id,
    _loaded_at
from latest
