{#- Per-shop settings from orderlayer.yml (passed by the CLI as the var `orderlayer_shops`)
    as a relation: channel, shop_id, timezone, currency (null where the source states it itself). -#}
{% macro shop_settings() -%}
    {%- set shops = var('orderlayer_shops', []) -%}
    {%- if shops | length == 0 -%}
    select cast(null as {{ text_type() }}) as channel, cast(null as {{ text_type() }}) as shop_id,
           cast(null as {{ text_type() }}) as timezone, cast(null as {{ text_type() }}) as currency
    where false
    {%- else -%}
    select * from (values
        {%- for s in shops %}
        ('{{ s.channel }}', '{{ s.shop_id }}', {{ shop_setting_literal(s.timezone) }}, {{ shop_setting_literal(s.currency) }}){{ "," if not loop.last }}
        {%- endfor %}
    ) as shops (channel, shop_id, timezone, currency)
    {%- endif -%}
{%- endmacro %}

{% macro shop_setting_literal(value) -%}
    {%- if value is none -%}cast(null as {{ text_type() }}){%- else -%}'{{ value }}'{%- endif -%}
{%- endmacro %}

{% macro reporting_timezone() -%}'{{ var("orderlayer_reporting_timezone", "Asia/Shanghai") }}'{%- endmacro %}
{% macro reporting_currency() -%}'{{ var("orderlayer_reporting_currency", "CNY") }}'{%- endmacro %}
