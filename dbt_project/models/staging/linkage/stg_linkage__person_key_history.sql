select
    night,
    event,
    person_key,
    related_key,
    records,
    moved_records
from {{ source('linkage', 'person_key_history') }}
