with latest as (
    {{ latest_rows('education', 'attainment') }}
)

select
    pupil_id,
    upn,
    school_urn,
    {{ lookup_code('school', 'latest.school_urn') }} as school_name,
    academic_year,
    key_stage as key_stage_code,
    {{ lookup_code('key_stage', 'latest.key_stage') }} as key_stage_label,
    cast(eyfs_gld as boolean) as is_eyfs_gld,
    cast(ks2_rwm_expected as boolean) as is_ks2_rwm_expected,
    cast(ks4_attainment8 as double) as ks4_attainment8,
    cast(ks4_progress8 as double) as ks4_progress8,
    _load_id,
    _loaded_at
from latest
