with latest as (
    {{ latest_rows('yos', 'interventions') }}
)

select
    intervention_id,
    yot_id,
    intervention_type as intervention_type_code,
    {{ lookup_code('yos_intervention_type', 'latest.intervention_type') }} as intervention_type_label,
    cast(start_date as date) as start_date,
    cast(end_date as date) as end_date,
    case_worker_id,
    _load_id,
    _loaded_at
from latest
