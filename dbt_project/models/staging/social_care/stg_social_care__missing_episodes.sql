with latest as (
    {{ latest_rows('social_care', 'ssd_missing') }}
)

select
    miss_table_id as missing_episode_id,
    miss_person_id as person_id,
    cast(miss_missing_episode_start_date as date) as start_date,
    miss_missing_episode_type as missing_type_code,
    {{ lookup_code('missing_type', 'latest.miss_missing_episode_type') }} as missing_type_label,
    cast(miss_missing_episode_end_date as date) as end_date,
    cast(miss_missing_rhi_offered as boolean) as is_rhi_offered,
    cast(miss_missing_rhi_accepted as boolean) as is_rhi_accepted,
    _load_id,
    _loaded_at
from latest
