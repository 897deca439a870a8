with latest as (
    {{ latest_rows('police', 'arrests') }}
)

select
    arrest_id,
    crime_ref,
    cast(arrest_date as date) as arrest_date,
    offence_code,
    {{ lookup_code('offence', 'latest.offence_code') }} as offence_label,
    birth_year_month,
    cast(age_at_arrest_date as integer) as age_at_arrest_date,
    sex as sex_code,
    {{ lookup_code('sex', 'latest.sex') }} as sex_label,
    pnc_id,
    _load_id,
    _loaded_at
from latest
