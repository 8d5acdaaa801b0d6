{#- The order key: a stable hash of (channel, shop_id, channel_order_id). Order ids are only unique
    inside a shop, so the shop is always part of the key. Ids are text end to end. -#}
{% macro order_key(channel, shop_id, channel_order_id) -%}
    md5({{ channel }} || '|' || {{ shop_id }} || '|' || {{ channel_order_id }})
{%- endmacro %}
