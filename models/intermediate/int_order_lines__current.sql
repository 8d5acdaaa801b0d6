-- The lines of each order's current version.
select
    cur.order_key,
    cur.currency,
    lines.* exclude (raw_record_id, channel, shop_id, channel_order_id)
from {{ ref('int_orders__current') }} as cur
inner join ({{ union_channels('order_lines') }}) as lines
    on lines.raw_record_id = cur.raw_record_id
