with latest as (
    {{ latest_rows('social_care', 'ssd_cla_episodes') }}
)

select
    clae_cla_episode_id as cla_episode_id,
    clae_person_id as person_id,
    cast(clae_cla_episode_start_date as date) as start_date,
    clae_cla_episode_start_reason as start_reason_code,
    {{ lookup_code('cla_reason_new_episode', 'latest.clae_cla_episode_start_reason') }} as start_reason_label,
    clae_cla_legal_status as legal_status_code,
    {{ lookup_code('cla_legal_status', 'latest.clae_cla_legal_status') }} as legal_status_label,
    clae_cla_placement_type as placement_type_code,
    {{ lookup_code('cla_placement_type', 'latest.clae_cla_placement_type') }} as placement_type_label,
    cast(clae_cla_episode_ceased_date as date) as ceased_date,
    clae_cla_episode_ceased_reason as ceased_reason_code,
    {{ lookup_code('cla_reason_episode_ceased', 'latest.clae_cla_episode_ceased_reason') }} as ceased_reason_label,
    _load_id,
    _loaded_at
from latest
