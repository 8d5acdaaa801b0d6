{#- After-sale records as facts of their own (docs/refunds.md, issue 17). Every channel that reads its platform's
    after-sale API stages it as `stg_<source>__refunds`, one row per after-sale record in its latest version, with
    the columns of the after-sale staging contract (refund_contract_columns below). The facts (fct_refunds,
    fct_returns), quarantine_refunds, the change sets and the order's refund fields read the models listed here
    and nothing else: a channel joins by adding its one line. -#}

{#- (channel, staging model) of every staged channel with an after-sale stream. -#}
{% macro refund_sources() -%}
    {%- set sources = [
        ('douyin', 'stg_douyin__refunds'),
        ('taobao', 'stg_taobao__refunds'),
        ('pinduoduo', 'stg_pinduoduo__refunds'),
        ('youzan', 'stg_youzan__refunds'),
        ('jd', 'stg_jd__refunds'),
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

{#- The after-sale staging contract's columns, in order (docs/refunds.md). -#}
{% macro refund_contract_columns() -%}
    {{ return([
        'raw_record_id', 'connection_name', 'source_synced_at', 'channel', 'shop_id', 'refund_id', 'after_sale_record_id',
        'channel_order_id', 'channel_line_id', 'refund_type', 'status', 'status_native', 'refund_amount', 'currency',
        'requested_at', 'refunded_at', 'source_updated_at', 'reason_code', 'reason_text',
        'return_tracking_number', 'return_carrier', 'return_received_at', 'is_restocked', 'quarantine_reason',
    ]) }}
{%- endmacro %}

{#- Every refund_sources() model's contract columns, unioned by name; an empty relation of the same shape when no
    staged channel has an after-sale stream (so every model reading it still builds). Records a platform lists that
    move no money (exchanges, resends, repairs, replacements: refund_type `exchange`) are left out, or, with
    `left_out=true`, are all that is returned (quarantine.refunds_left_out: gate R4 counts them). -#}
{% macro union_refunds(left_out=false) -%}
    select * from (
    {%- for channel, model in refund_sources() %}
    {%- if loop.first %}
    -- the contract's own rules, whatever the channel's model says: a status outside the five, or a refund time that
    -- disagrees with the status, is quarantined here rather than failing a test on fct_refunds and stopping the build
    select
        {%- for column in refund_contract_columns() if column != 'quarantine_reason' %} {{ column }},{% endfor %}
        coalesce(quarantine_reason, case
            when status is null or status not in ('requested', 'approved', 'refunded', 'rejected', 'cancelled')
                -- chr(39), not '': under spark.sql.parser.escapedStringLiterals Spark keeps a doubled quote as two
                then 'status ' || coalesce('"' || status || '"', 'NULL') || ' is not one of the contract' || chr(39) || 's five'
            when status = 'refunded' and refunded_at is null then 'refunded without a refund time'
            when status <> 'refunded' and refunded_at is not null then 'a refund time on a record that is ' || status
        end) as quarantine_reason
    from (
    {%- endif %}
    select {{ refund_contract_columns() | join(', ') }} from {{ ref(model) }}
    {%- if not loop.last %}
    -- every part selects the contract's columns in its order
    union all
    {%- else %}
    ) as contract_rows
    {%- endif %}
    {%- else %}
    {%- set text, instant = text_type(), instant_type() %}
    select
        cast(null as {{ text }}) as raw_record_id, cast(null as {{ text }}) as connection_name,
        cast(null as {{ instant }}) as source_synced_at, cast(null as {{ text }}) as channel,
        cast(null as {{ text }}) as shop_id, cast(null as {{ text }}) as refund_id,
        cast(null as {{ text }}) as after_sale_record_id, cast(null as {{ text }}) as channel_order_id,
        cast(null as {{ text }}) as channel_line_id, cast(null as {{ text }}) as refund_type,
        cast(null as {{ text }}) as status, cast(null as {{ text }}) as status_native,
        cast(null as {{ money_type() }}) as refund_amount, cast(null as {{ text }}) as currency,
        cast(null as {{ instant }}) as requested_at, cast(null as {{ instant }}) as refunded_at,
        cast(null as {{ instant }}) as source_updated_at, cast(null as {{ text }}) as reason_code,
        cast(null as {{ text }}) as reason_text, cast(null as {{ text }}) as return_tracking_number,
        cast(null as {{ text }}) as return_carrier, cast(null as {{ instant }}) as return_received_at,
        cast(null as boolean) as is_restocked, cast(null as {{ text }}) as quarantine_reason
    where false
    {%- endfor %}
    ) as after_sale_records
    where {% if left_out %}refund_type = 'exchange'{% else %}refund_type is distinct from 'exchange'{% endif %}
{%- endmacro %}

{#- The refund key: a stable hash of (channel, shop_id, refund_id), like order_key. -#}
{% macro refund_key(channel, shop_id, refund_id) -%}
    md5({{ channel }} || '|' || {{ shop_id }} || '|' || {{ refund_id }})
{%- endmacro %}
