with latest as (
    {{ latest_rows('yos', 'young_people') }}
)

select
    yot_id,
    pnc_id,
    birth_year_month,
    sex as sex_code,
    {{ lookup_code('sex', 'latest.sex') }} as sex_label,
    ethnicity as ethnicity_code,
    {{ lookup_code('ethnicity', 'latest.ethnicity') }} as ethnicity_label,
    postcode_district,
    postcode_lsoa,
    _load_id,
    _loaded_at
from latest
