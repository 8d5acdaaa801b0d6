-- published.metricflow_time_spine: the gated copy `orderlayer publish` writes of metricflow_time_spine (macros/published.sql); the semantic
-- layer reads this relation. The select states the columns; dbt never runs it.
{{ config(materialized='published', schema='published', alias='metricflow_time_spine') }}
select * from {{ ref('metricflow_time_spine') }}
