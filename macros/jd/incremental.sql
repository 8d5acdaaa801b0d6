{#- Incremental JD staging (docs/incremental.md "Staging"). A JD order version shows the refund applications and
    after-sale services of its order (stg_jd__orders: `version_refunds`), so a landed application or service
    re-stages every version of its order, and its lines (their refund flag). -#}

{#- The orders (shop_id, channel_order_id) named by any version of a refund application or after-sale service with
    a version landed in this build's window (an earlier version may name another order: it loses the record). -#}
{% macro jd_orders_of_landed_refunds() -%}
    {%- set parts = [] -%}
    {%- for table in ['refund_applies', 'service_refunds'] -%}
        {%- set rel = raw_relation('jd', table) -%}
        {%- if rel is not none -%}
            {%- do parts.append('select ' ~ json_field_text('_record', 'venderId') ~ ' as shop_id, '
                                ~ json_field_text('_record', 'orderId') ~ ' as channel_order_id from ' ~ rel
                                ~ ' where _record_hash in (' ~ restaged_versions('jd', table) ~ ')') -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if parts -%}
    {{ parts | join('\n    union all\n    ') }}
    {%- else -%}
    select cast(null as {{ text_type() }}) as shop_id, cast(null as {{ text_type() }}) as channel_order_id where false
    {%- endif -%}
{%- endmacro %}

{#- Raw filter (raw_records' `restage`) of stg_jd__orders and stg_jd__order_lines: every version of the orders with
    a version landed, and every version of the orders a landed refund record names (their versions are all in the
    model already: their rows are replaced by raw_record_id). -#}
{% macro jd_orders_restage() -%}
    {%- set of_landed_refunds -%}
    _record_hash in (
            select t.raw_record_id from {{ this }} as t
            inner join ({{ jd_orders_of_landed_refunds() }}) as r
                on r.shop_id = t.shop_id and r.channel_order_id = t.channel_order_id
        )
    {%- endset -%}
    {{ return(restage_filter(source('jd', 'orders'), also=of_landed_refunds)) }}
{%- endmacro %}
