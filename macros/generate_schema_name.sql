{#- Schemas are the storage layout's names (raw, staging, audit, quarantine, ...), not
    dbt's default <target_schema>_<custom> concatenation. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ (custom_schema_name or target.schema) | trim }}
{%- endmacro %}
