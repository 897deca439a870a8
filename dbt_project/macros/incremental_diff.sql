{#-
    The body of an incremental fact that mirrors an intermediate view row for row, so that an
    incremental run leaves exactly what a full refresh would (the three fct_ models use it).

    - Configures the model: incremental, delete+insert on `unique_key`.
    - Selects the view's rows that are new or differ in any column from the fact (`except`
      compares whole rows, nulls equal): new and changed source rows, and rows whose
      person_key moved when linkage merged or split people. delete+insert replaces them.
    - A post-hook deletes the fact's rows whose key is gone from the view: a full-snapshot
      extract dropped the record, or erasure deleted the raw rows.
    Cost: one pass over the view and the fact per run; fine at borough scale.
-#}
{% macro incremental_diff(view_name, unique_key) -%}
    {{ config(
        materialized='incremental',
        unique_key=unique_key,
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        post_hook="delete from {{ this }} where " ~ unique_key ~ " not in (select " ~ unique_key
                  ~ " from {{ ref('" ~ view_name ~ "') }})"
    ) }}
    select * from {{ ref(view_name) }}
    {%- if is_incremental() %}
    except
    select * from {{ this }}
    {%- endif %}
{%- endmacro %}
