with latest as (
    {{ latest_rows('education', 'exclusions') }}
)

select
    exclusion_id,
    pupil_id,
    upn,
    school_urn,
    {{ lookup_code('school', 'latest.school_urn') }} as school_name,
    category as category_code,
    {{ lookup_code('exclusion_category', 'latest.category') }} as category_label,
    cast(start_date as date) as start_date,
    cast(sessions as integer) as sessions,
    reason as reason_code,
    {{ lookup_code('exclusion_reason', 'latest.reason') }} as reason_label,
    _load_id,
    _loaded_at
from latest
