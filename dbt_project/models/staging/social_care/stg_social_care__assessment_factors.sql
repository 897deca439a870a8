with latest as (
    {{ latest_rows('social_care', 'ssd_assessment_factors') }}
)

select
    cinf_table_id as factor_record_id,
    cinf_assessment_id as assessment_id,
    cinf_assessment_factors_json as factors_json,
    from_json(cinf_assessment_factors_json, '["VARCHAR"]') as factor_codes,
    _load_id,
    _loaded_at
from latest
