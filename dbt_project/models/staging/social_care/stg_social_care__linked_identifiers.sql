with latest as (
    {{ latest_rows('social_care', 'ssd_linked_identifiers') }}
)

select
    link_table_id as linked_identifier_id,
    link_person_id as person_id,
    link_identifier_type as identifier_type_code,
    {{ lookup_code('linked_identifier_type', 'latest.link_identifier_type') }} as identifier_type_label,
    link_identifier_value as identifier_value,
    cast(link_valid_from_date as date) as valid_from_date,
    cast(link_valid_to_date as date) as valid_to_date,
    _load_id,
    _loaded_at
from latest
