with latest as (
    {{ latest_rows('social_care', 'ssd_person') }}
)

select
    pers_person_id as person_id,
    pers_upn as upn,
    pers_nhs_number as nhs_number,
    pers_birth_year_month as birth_year_month,
    pers_sex as sex_code,
    {{ lookup_code('sex', 'latest.pers_sex') }} as sex_label,
    pers_ethnicity as ethnicity_code,
    {{ lookup_code('ethnicity', 'latest.pers_ethnicity') }} as ethnicity_label,
    pers_postcode_district as postcode_district,
    pers_postcode_lsoa as postcode_lsoa,
    _load_id,
    _loaded_at
from latest
