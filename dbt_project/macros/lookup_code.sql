{#-
    Decode a code through its code-list seed: the seed row's `field` (label by
    default) for the code held in `column`, null when the code is not on the list.
    Pass `column` qualified by its CTE so it never resolves to a seed column.
-#}
{% macro lookup_code(code_list, column, field='label') -%}
    (select codes.{{ field }} from {{ ref(code_list) }} as codes where codes.code = {{ column }})
{%- endmacro %}
