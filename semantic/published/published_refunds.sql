-- published.fct_refunds: the gated copy `orderlayer publish` writes of fct_refunds (macros/published.sql); the
-- refund metrics read this relation. The select states the columns; dbt never runs it.
{{ config(materialized='published', schema='published', alias='fct_refunds') }}
select * from {{ ref('fct_refunds') }}
