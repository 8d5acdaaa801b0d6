{#- The channels whose staging models feed the marts. The CLI passes `orderlayer_channels` = every shipped channel
    + the configured file sources. A bare `dbt build` stages every channel of the project: each defines
    `<channel>_order_shape()` (macros/<channel>/order_shape.sql; an ERP's is `<erp>_sales_order_shape()`), found
    among the project's macros because dbt resolves refs while parsing, before its graph of models exists. -#}
{% macro staged_channels() -%}
    {%- set shaped = [] -%}
    {%- for name in orderlayer if name.endswith('_order_shape') and not name.endswith('_sales_order_shape') -%}
        {%- do shaped.append(name[:-('_order_shape' | length)]) -%}
    {%- endfor -%}
    {{ return(var('orderlayer_channels', (shaped | sort) + file_channels())) }}
{%- endmacro %}

{#- Union of one staging entity across every channel, column lists aligned by name. -#}
{% macro union_channels(entity) -%}
    {{ union_by_name(channel_models(entity)) }}
{%- endmacro %}

{#- [relation, query] of one staging entity's model of every staged channel (union_by_name's parts). -#}
{% macro channel_models(entity) -%}
    {%- set parts = [] -%}
    {%- for channel in staged_channels() -%}
        {%- set model = ref('stg_' ~ channel ~ '__' ~ entity) -%}
        {%- do parts.append([model, 'select * from ' ~ model]) -%}
    {%- endfor -%}
    {{ return(parts) }}
{%- endmacro %}

{#- File sources (docs/file-sources.md) among the staged channels: their statuses come from their mapping. -#}
{% macro file_channels() -%}
    {{ return(var('orderlayer_file_channels', ['wechat_shop'])) }}
{%- endmacro %}

{#- The status map: seeds/status_map.csv plus every staged file source's mapped statuses. -#}
{% macro status_maps() -%}
    {%- set parts = [] -%}
    {%- set seed = ref('status_map') -%}
    {%- do parts.append([seed, 'select * from ' ~ seed]) -%}
    {%- for channel in file_channels() if channel in staged_channels() -%}
        {%- set model = ref('stg_' ~ channel ~ '__status_map') -%}
        {%- do parts.append([model, 'select * from ' ~ model]) -%}
    {%- endfor -%}
    {{ union_by_name(parts) }}
{%- endmacro %}
