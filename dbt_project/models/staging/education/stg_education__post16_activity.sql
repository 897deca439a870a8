with latest as (
    {{ latest_rows('education', 'post16_activity') }}
)

select
    tracking_id,
    upn,
    birth_year_month,
    cast(age_at_activity_month as integer) as age_at_activity_month,
    sex as sex_code,
    {{ lookup_code('sex', 'latest.sex') }} as sex_label,
    cast(activity_month as date) as activity_month,
    activity as activity_code,
    {{ lookup_code('post16_activity', 'latest.activity') }} as activity_label,
    _load_id,
    _loaded_at
from latest
