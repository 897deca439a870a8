{#-
    Join the person key linkage gave an agency record: `entity` is the kind of record as
    linkage keys it (pupil_id, pers_person_id, yot_id, involvement_id, arrest_id, report_id,
    referral_id), `record_key` the column holding it. Records linkage has not keyed are left out.
-#}
{% macro join_person_key(entity, record_key, alias='keys') -%}
    inner join {{ ref('stg_linkage__person_keys') }} as {{ alias }}
        on {{ alias }}.entity = '{{ entity }}' and {{ alias }}.record_key = {{ record_key }}
{%- endmacro %}
