with latest as (
    {{ latest_rows('police', 'missing_reports') }}
)

select
    report_id as missing_report_id,
    birth_year_month,
    cast(age_at_reported_date as integer) as age_at_reported_date,
    sex as sex_code,
    {{ lookup_code('sex', 'latest.sex') }} as sex_label,
    postcode_district,
    postcode_lsoa,
    cast(reported_date as date) as reported_date,
    cast(found_date as date) as found_date,
    _load_id,
    _loaded_at
from latest
