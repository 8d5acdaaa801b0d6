-- published.order_fulfillment: the gated copy `orderlayer publish` writes of order_fulfillment (macros/published.sql); the semantic
-- layer reads this relation. The select states the columns; dbt never runs it.
{{ config(materialized='published', schema='published', alias='order_fulfillment') }}
select * from {{ ref('order_fulfillment') }}
