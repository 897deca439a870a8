with latest as (
    {{ latest_rows('yos', 'offences') }}
)

select
    offence_id,
    yot_id,
    cast(offence_date as date) as offence_date,
    offence_code,
    {{ lookup_code('offence', 'latest.offence_code') }} as offence_label,
    cast(outcome_date as date) as outcome_date,
    outcome as outcome_code,
    {{ lookup_code('youth_outcome', 'latest.outcome') }} as outcome_label,
    _load_id,
    _loaded_at
from latest
