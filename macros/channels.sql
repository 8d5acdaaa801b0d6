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
    {%- for channel in staged_channels() %}
    select * from {{ ref('stg_' ~ channel ~ '__' ~ entity) }}
    {%- if not loop.last %}
    union all by name
    {%- endif %}
    {%- endfor %}
{%- endmacro %}

{#- File sources (docs/file-sources.md) among the staged channels: their statuses come from their mapping. -#}
{% macro file_channels() -%}
    {{ return(var('orderlayer_file_channels', ['wechat_shop'])) }}
{%- endmacro %}

{#- The status map: seeds/status_map.csv plus every staged file source's mapped statuses. -#}
{% macro status_maps() -%}
    select * from {{ ref('status_map') }}
    {%- for channel in file_channels() if channel in staged_channels() %}
    union all by name
    select * from {{ ref('stg_' ~ channel ~ '__status_map') }}
    {%- endfor %}
{%- endmacro %}
