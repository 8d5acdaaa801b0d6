-- The data's as-of time per shop (docs/DECISIONS.md D-018): the newest platform update time synced for the shop —
-- the tap's bookmark — on the same clock as paid_at and shipped_at. Every change up to it has been read; nothing
-- later is known. order_fulfillment's due flags are judged against it. One row per shop: a table, rebuilt every
-- build (it reads one column of fct_orders), published whole with the marts.
{{ config(materialized='table') }}

select
    cast(channel as {{ text_type() }}) as channel,
    cast(shop_id as {{ text_type() }}) as shop_id,
    cast(max(source_updated_at) as {{ instant_type() }}) as as_of_at
from {{ ref('fct_orders') }}
group by channel, shop_id
