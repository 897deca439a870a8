with latest as (
    {{ latest_rows('education', 'post16_activity') }}
)

select
    tracking_id,
    upn,
    surname,
    forename,
    cast(dob as date) as date_of_birth,
    sex as sex_code,
    {{ lookup_code('sex', 'latest.sex') }} as sex_label,
    cast(activity_month as date) as activity_month,
    activity as activity_code,
    {{ lookup_code('post16_activity', 'latest.activity') }} as activity_label,
    _load_id,
    _loaded_at
from latest
