{#- After-sale records as facts of their own (issue 17). Every channel that reads its platform's after-sale API
    stages it as `stg_<source>__refunds` on the after-sale staging contract; the refund facts read the models
    listed here. (This branch carries only its channels' lines; the refund facts' branch holds the rest.) -#}

{#- (channel, staging model) of every staged channel with an after-sale stream. -#}
{% macro refund_sources() -%}
    {%- set sources = [
        ('tiktok_shop', 'stg_tiktok_shop__refunds'),
        ('shopify', 'stg_shopify__refunds'),
        ('meituan', 'stg_meituan__refunds'),
        ('eleme', 'stg_eleme__refunds'),
    ] -%}
    {%- set staged = staged_channels() -%}
    {%- set listed = [] -%}
    {%- for channel, model in sources if channel in staged -%}
        {%- do listed.append((channel, model)) -%}
    {%- endfor -%}
    {{ return(listed) }}
{%- endmacro %}
