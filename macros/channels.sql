{#- The channels whose staging models feed the marts. Adding a channel = a tap, a staging folder
    with stg_<channel>__orders / stg_<channel>__order_lines, seed rows, and its name here (the default for a bare
    `dbt build`; the CLI passes `orderlayer_channels` = every shipped channel + the configured file sources). -#}
{% macro staged_channels() -%}
    {{ return(var('orderlayer_channels', ['douyin', 'jd', 'taobao', 'pinduoduo', 'youzan', 'meituan', 'eleme', 'tiktok_shop', 'shopify', 'wechat_shop'])) }}
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
