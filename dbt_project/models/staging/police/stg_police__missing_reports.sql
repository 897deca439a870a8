with latest as (
    {{ latest_rows('police', 'missing_reports') }}
)

select
    report_id as missing_report_id,
    forename,
    surname,
    cast(dob as date) as date_of_birth,
    sex as sex_code,
    {{ lookup_code('sex', 'latest.sex') }} as sex_label,
    postcode,
    cast(reported_date as date) as reported_date,
    cast(found_date as date) as found_date,
    _load_id,
    _loaded_at
from latest
