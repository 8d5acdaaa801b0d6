{#- The channels whose staging models feed the marts. Adding a channel = a tap, a staging folder
    with stg_<channel>__orders / stg_<channel>__order_lines, seed rows, and its name here.
    The var `orderlayer_channels` narrows or widens the list for one invocation (tests of one channel). -#}
{% macro staged_channels() -%}
    {{ return(var('orderlayer_channels', ['douyin'])) }}
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
