{#- Meituan food lines (`detail`), one row per line per raw version of its order.
    Meituan has no line id: the line key is (order id, sku id, position) (docs/channels/meituan.md).
    Fields read: macros/meituan/order_shape.sql. -#}

{%- set refund_ok = var('meituan_refund_success_res_types', ['2', '4', '5', '6']) -%}

-- depends_on: {{ ref('stg_meituan__orders') }} (run after it: both parse every raw order on a full build, and two such parses at once contend for memory: D-071)
with raw as (
    {{ raw_records('meituan', 'orders') }}
),

parsed as (
    select _record_hash, {{ meituan_parse_order('_record') }} as r
    from raw
),

orders as (
    select
        _record_hash,
        r.wm_order_id_view,
        r.app_poi_code,
        {{ json_list_value('r.detail', meituan_line_shape()) }} as lines,
        {{ list_where(list_or_empty('r.refund_records'), 'x', "x.res_type in ('" ~ (refund_ok | join("', '")) ~ "')") }} as agreed
    from parsed
),

exploded as (
    select
        _record_hash,
        wm_order_id_view,
        app_poi_code,
        agreed,
        {{ unnest_with_index('lines', 'position', 'line') }}
    from orders
),

keyed as (
    select
        *,
        -- the sku: sku_id, or the app's food code when the store has no sku ids
        coalesce(nullif(trim(line.sku_id), ''), line.app_food_code) as line_sku,
        {{ major_units_to_amount('line.price') }} * try_cast(coalesce(line.quantity, line.quanity) as decimal(18, 3))
            + coalesce({{ major_units_to_amount('line.box_price') }} * try_cast(line.box_num as decimal(18, 3)), 0) as goods
    from exploded
),

first_of_sku as (
    -- a partial refund names a sku, not a line: it is booked on the first line of that sku
    select *, row_number() over (partition by _record_hash, line_sku order by position) = 1 as is_first_of_sku
    from keyed
)

select
    _record_hash as raw_record_id,
    'meituan' as channel,
    app_poi_code as shop_id,
    wm_order_id_view as channel_order_id,
    cast(position as integer) as line_number,
    wm_order_id_view || ':' || coalesce(line_sku, '') || ':' || position as channel_line_id,
    line_sku as sku_id,
    line.food_name as sku_name,
    {{ try_integer('coalesce(line.quantity, line.quanity)') }} as quantity,
    {{ major_units_to_amount('line.price') }} as unit_price,
    -- list price × quantity plus the line's packaging boxes
    goods::{{ money_type() }} as line_goods_amount,
    (case
        -- an agreed full refund (refund_type 1) returns every line
        when {{ list_any(list_map('agreed', 'x', "x.refund_type = '1'")) }} then goods
        when is_first_of_sku then coalesce({{ list_total(list_map(
            list_flatten(list_map('agreed', 'x', list_or_empty('x.wmAppRetailForOrderPartRefundList'))), 'i',
            "case when coalesce(nullif(trim(i.sku_id), ''), i.app_food_code) = line_sku
                then " ~ major_units_to_amount('i.refund_price') ~ " * try_cast(i.count as decimal(18, 3)) else 0 end"
        )) }}, 0)
        else 0
    end)::{{ money_type() }} as refund_amount
from first_of_sku
