{#-
    The current rows of a raw extract, one per primary key.

    Delivery mode and primary key come from the source table's meta, which
    youth_safety.dbt_sources renders from the extract contract:
    - full_snapshot: only rows of the most recent load (max _loaded_at) count;
    - delta: the latest version of each key wins.
    Either way, ties on the key (re-sent or exactly duplicated rows) go to the
    latest load, then the last row of the file.
-#}
{% macro latest_rows(source_name, table_name) -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- set meta = source_table_meta(source_name, table_name) -%}
    select *
    from {{ relation }}
    {%- if meta.delivery == 'full_snapshot' %}
    where _loaded_at = (select max(_loaded_at) from {{ relation }})
    {%- endif %}
    qualify row_number() over (
        partition by {{ meta.primary_key | join(', ') }}
        order by _loaded_at desc, _source_row_number desc
    ) = 1
{%- endmacro %}


{#- Meta of a source table; placeholder values while dbt parses (the graph is empty then). -#}
{% macro source_table_meta(source_name, table_name) -%}
    {%- if not execute -%}
        {{ return({'delivery': 'delta', 'primary_key': ['_load_id']}) }}
    {%- endif -%}
    {%- set unique_id = 'source.' ~ project_name ~ '.' ~ source_name ~ '.' ~ table_name -%}
    {%- set meta = graph.sources[unique_id].meta -%}
    {%- if meta.delivery not in ('full_snapshot', 'delta') or not meta.primary_key -%}
        {{ exceptions.raise_compiler_error(unique_id ~ ' needs meta.delivery and meta.primary_key; run youth_safety.dbt_sources.write_sources()') }}
    {%- endif -%}
    {{ return(meta) }}
{%- endmacro %}
