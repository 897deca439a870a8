with latest as (
    {{ latest_rows('yos', 'young_people') }}
)

select
    yot_id,
    pnc_id,
    forename,
    surname,
    cast(dob as date) as date_of_birth,
    sex as sex_code,
    {{ lookup_code('sex', 'latest.sex') }} as sex_label,
    ethnicity as ethnicity_code,
    {{ lookup_code('ethnicity', 'latest.ethnicity') }} as ethnicity_label,
    postcode,
    _load_id,
    _loaded_at
from latest
