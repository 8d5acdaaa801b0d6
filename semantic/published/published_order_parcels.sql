-- published.order_parcels: the gated copy `orderlayer publish` writes of order_parcels (macros/published.sql); the semantic
-- layer reads this relation. The select states the columns; dbt never runs it.
{{ config(materialized='published', schema='published', alias='order_parcels') }}
select * from {{ ref('order_parcels') }}
