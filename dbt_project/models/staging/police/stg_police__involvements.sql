with latest as (
    {{ latest_rows('police', 'involvements') }}
)

select
    involvement_id,
    crime_ref,
    role as role_code,
    {{ lookup_code('involvement_role', 'latest.role') }} as role_label,
    birth_year_month,
    sex as sex_code,
    {{ lookup_code('sex', 'latest.sex') }} as sex_label,
    ethnicity as police_ethnicity_code,
    {{ lookup_code('police_ethnicity', 'latest.ethnicity') }} as police_ethnicity_label,
    {{ lookup_code('police_ethnicity', 'latest.ethnicity', 'dfe_code') }} as ethnicity_code,
    {{ lookup_code('ethnicity', lookup_code('police_ethnicity', 'latest.ethnicity', 'dfe_code')) }} as ethnicity_label,
    pnc_id,
    postcode_district,
    postcode_lsoa,
    _load_id,
    _loaded_at
from latest
