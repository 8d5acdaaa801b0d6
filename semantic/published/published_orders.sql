-- published.fct_orders: the gated copy `orderlayer publish` writes of fct_orders (macros/published.sql); the semantic
-- layer reads this relation. The select states the columns; dbt never runs it.
{{ config(materialized='published', schema='published', alias='fct_orders') }}
select * from {{ ref('fct_orders') }}
