select
    source,
    entity,
    record_key,
    person_key
from {{ source('linkage', 'person_keys') }}
