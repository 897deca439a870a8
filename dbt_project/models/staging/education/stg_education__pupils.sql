with latest as (
    {{ latest_rows('education', 'pupils') }}
)

select
    pupil_id,
    upn,
    former_upn,
    birth_year_month,
    cast(age_at_leaving_date as integer) as age_at_leaving_date,
    sex as sex_code,
    {{ lookup_code('sex', 'latest.sex') }} as sex_label,
    ethnicity as ethnicity_code,
    {{ lookup_code('ethnicity', 'latest.ethnicity') }} as ethnicity_label,
    cast(fsm_start_date as date) as fsm_start_date,
    cast(fsm_end_date as date) as fsm_end_date,
    sen_provision as sen_provision_code,
    {{ lookup_code('sen_provision', 'latest.sen_provision') }} as sen_provision_label,
    school_urn,
    {{ lookup_code('school', 'latest.school_urn') }} as school_name,
    year_group as year_group_code,
    {{ lookup_code('year_group', 'latest.year_group') }} as year_group_label,
    cast(entry_date as date) as entry_date,
    cast(leaving_date as date) as leaving_date,
    postcode_district,
    postcode_lsoa,
    _load_id,
    _loaded_at
from latest
