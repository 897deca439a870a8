with latest as (
    {{ latest_rows('education', 'attendance') }}
)

select
    pupil_id,
    upn,
    school_urn,
    {{ lookup_code('school', 'latest.school_urn') }} as school_name,
    academic_year,
    term as term_code,
    {{ lookup_code('term', 'latest.term') }} as term_label,
    cast(sessions_possible as integer) as sessions_possible,
    cast(sessions_authorised as integer) as sessions_authorised,
    cast(sessions_unauthorised as integer) as sessions_unauthorised,
    _load_id,
    _loaded_at
from latest
