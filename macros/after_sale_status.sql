{#- A platform's after-sale status code → the canonical status, from (canonical status, [codes]) pairs (each
    channel's sets are dbt vars); NULL for a code no set names (the staging model quarantines it). -#}
{% macro after_sale_status(code_expr, groups) -%}
    case
        {%- for label, codes in groups if codes %}
        when {{ code_expr }} in ('{{ codes | map('string') | join("', '") }}') then '{{ label }}'
        {%- endfor %}
    end
{%- endmacro %}
