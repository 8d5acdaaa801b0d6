{#- After-sale records as facts of their own (issue 17): the channels that stage their platform's after-sale API as
    `stg_<source>__refunds` (the after-sale staging contract). The full macro (with the contract's columns) is
    refund_facts'; this branch adds one line per channel it staged. -#}
{% macro refund_sources() -%}
    {{ return([
        ('douyin', 'stg_douyin__refunds'),
        ('taobao', 'stg_taobao__refunds'),
        ('pinduoduo', 'stg_pinduoduo__refunds'),
        ('youzan', 'stg_youzan__refunds'),
    ]) }}
{%- endmacro %}
