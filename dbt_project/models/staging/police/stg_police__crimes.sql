with latest as (
    {{ latest_rows('police', 'crimes') }}
)

select
    crime_ref,
    offence_code,
    {{ lookup_code('offence', 'latest.offence_code') }} as offence_label,
    cast(committed_date as date) as committed_date,
    cast(recorded_date as date) as recorded_date,
    ward_code,
    {{ lookup_code('ward', 'latest.ward_code') }} as ward_name,
    lsoa_code,
    cast(knife_flag as boolean) as is_knife,
    cast(firearm_flag as boolean) as is_firearm,
    cast(domestic_abuse_flag as boolean) as is_domestic_abuse,
    cast(syv_flag as boolean) as is_serious_youth_violence,
    cast(injury_flag as boolean) as is_injury,
    _load_id,
    _loaded_at
from latest
