{#- The TikTok Shop return search (Return & Refund API 202309) fields orderlayer reads, declared once; every value
    read as text and typed by the rule macros (a wrong-typed value becomes a quarantine reason). `shop_id` is
    stamped on by the tap. Platform facts: docs/channels/tiktok_shop.md "After-sales". -#}
{% macro tiktok_shop_return_shape() -%}
{{ return({
    "return_id": "VARCHAR", "shop_id": "VARCHAR", "order_id": "VARCHAR", "return_type": "VARCHAR",
    "return_status": "VARCHAR", "return_reason": "VARCHAR", "return_reason_text": "VARCHAR",
    "create_time": "VARCHAR", "update_time": "VARCHAR",
    "return_tracking_number": "VARCHAR", "return_provider_name": "VARCHAR",
    "refund_amount": {"currency": "VARCHAR", "refund_total": "VARCHAR"},
    "return_line_items": [{"order_line_item_id": "VARCHAR", "sku_id": "VARCHAR"}]
}) }}
{%- endmacro %}

{#- The cancellation search's fields (a buyer's or seller's cancellation before shipment). -#}
{% macro tiktok_shop_cancellation_shape() -%}
{{ return({
    "cancel_id": "VARCHAR", "shop_id": "VARCHAR", "order_id": "VARCHAR", "cancel_type": "VARCHAR",
    "cancel_status": "VARCHAR", "cancel_reason": "VARCHAR", "cancel_reason_text": "VARCHAR",
    "create_time": "VARCHAR", "update_time": "VARCHAR",
    "refund_amount": {"currency": "VARCHAR", "refund_total": "VARCHAR"},
    "cancel_line_items": [{"order_line_item_id": "VARCHAR"}]
}) }}
{%- endmacro %}

{#- cancel_status → canonical status. -#}
{% macro tiktok_shop_cancel_status(cancel_status) -%}
    case {{ cancel_status }}
        when 'CANCELLATION_REQUEST_PENDING' then 'requested'
        when 'CANCELLATION_REQUEST_SUCCESS' then 'approved'
        when 'CANCELLATION_REQUEST_COMPLETE' then 'refunded'
        when 'CANCELLATION_REQUEST_REJECT' then 'rejected'
        when 'CANCELLATION_REQUEST_CANCEL' then 'cancelled'
    end
{%- endmacro %}

{#- return_type → canonical refund_type. REPLACEMENT (an exchange, no money back) is not a refund: the staging
    model leaves it out. Pre-shipment cancellations are the cancellation API's, not this one's. -#}
{% macro tiktok_shop_refund_type(return_type) -%}
    case {{ return_type }}
        when 'REFUND' then 'refund_only'
        when 'RETURN_AND_REFUND' then 'return_and_refund'
    end
{%- endmacro %}

{#- return_status → canonical status. The reject code is spelled three ways in the platform's and SDKs' texts:
    all are read. REJECT_RECEIVE_PACKAGE: the seller refused the returned parcel, no refund (arbitration may follow
    and then changes the status again). -#}
{% macro tiktok_shop_refund_status(return_status) -%}
    case {{ return_status }}
        when 'RETURN_OR_REFUND_REQUEST_PENDING' then 'requested'
        when 'AWAITING_BUYER_RESPONSE' then 'requested'
        when 'AWAITING_BUYER_SHIP' then 'approved'
        when 'BUYER_SHIPPED_ITEM' then 'approved'
        when 'RETURN_OR_REFUND_REQUEST_SUCCESS' then 'approved'
        when 'RETURN_OR_REFUND_REQUEST_COMPLETE' then 'refunded'
        when 'REFUND_OR_RETURN_REQUEST_REJECT' then 'rejected'
        when 'RETURN_OR_REFUND_REQUEST_REJECTED' then 'rejected'
        when 'REFUND_RETURN_REQUEST_REJECT' then 'rejected'
        when 'REJECT_RECEIVE_PACKAGE' then 'rejected'
        when 'RETURN_OR_REFUND_REQUEST_CANCEL' then 'cancelled'
    end
{%- endmacro %}
