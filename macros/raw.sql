{#- The raw landing table of a source stream, or an empty relation of the same shape when that
    source has never been synced (Fivetran's "empty model" idea), so a bare `dbt build` always works.
    `source()` is still called so lineage and freshness stay in the DAG. `restage`: on an incremental build, this raw
    filter instead of the landing window (a model whose rows depend on other versions or streams:
    macros/incremental.sql). -#}
{% macro raw_records(source_name, table_name, all_versions=false, restage=none) -%}
    {%- set src = source(source_name, table_name) -%}
    {#- In a dbt unit test the source is the test's fixture (a CTE), never a table: read it. -#}
    {%- set is_fixture = (src.identifier or '').startswith('__dbt__cte__') -%}
    {%- set rel = adapter.get_relation(database=src.database, schema=src.schema, identifier=src.identifier) if execute and not is_fixture else none -%}
    {%- if rel is not none or is_fixture -%}
    select _record_hash, _connection, _record, _synced_at from {{ src }}
    {%- if is_incremental() and not all_versions %}
    {%- if restage %}
    -- incremental, a model whose rows depend on other versions or streams: the raw rows it must re-stage
    where {{ restage }}
    {%- elif config.get('restage_all_versions', false) %}
    -- incremental, a model with per-record logic: every version of the records with a version landed in this build
    where {{ restage_filter(src) }}
    {%- else %}
    -- incremental: the rows landed in this build (macros/incremental.sql)
    where {{ in_landing_window() }}
    {%- endif %}
    {%- endif %}
    {%- else -%}
    select cast(null as {{ text_type() }}) as _record_hash, cast(null as {{ text_type() }}) as _connection,
           cast(null as {{ json_type() }}) as _record, cast(null as {{ instant_type() }}) as _synced_at
    where false
    {%- endif -%}
{%- endmacro %}

{#- A text cell read as a whole number, NULL when it is not one (a file source's quantity). -#}
{% macro text_as_integer(expr) -%}
    {{ return(adapter.dispatch('text_as_integer', 'orderlayer')(expr)) }}
{%- endmacro %}

{% macro default__text_as_integer(expr) -%}
    try_cast(trim({{ expr }}) as integer)
{%- endmacro %}
{#- DuckDB reads '12.5' as 13 (rounding half away from zero) and '1e3' as 1000; Spark's cast truncates: read the
    number exactly, then round as DuckDB does. (DuckDB also reads '0x10' and '1_000'; a quantity never looks so.) -#}
{% macro spark__text_as_integer(expr) -%}
    cast(round(try_cast(trim({{ expr }}) as decimal(38, 9)), 0) as integer)
{%- endmacro %}

{#- A list of texts under `key` in a landed JSON record, empty when absent (a file row's read problems). -#}
{% macro json_text_list(record, key) -%}
    {{ return(adapter.dispatch('json_text_list', 'orderlayer')(record, key)) }}
{%- endmacro %}

{% macro default__json_text_list(record, key) -%}
    coalesce(cast({{ record }} -> '{{ key }}' as varchar[]), []::varchar[])
{%- endmacro %}
{% macro spark__json_text_list(record, key) -%}
    coalesce(from_json(get_json_object({{ record }}, '$.{{ key }}'), 'array<string>'), cast(array() as array<string>))
{%- endmacro %}

{#- The landed records of a source stream (as raw_records gives them), each parsed once into a STRUCT `r` of
    `shape` (a dict of field -> 'VARCHAR', macros/dialect/json.sql): every value read as text and typed by the rule macros downstream. -#}
{% macro parsed_records(source_name, table_name, shape, restage=none) -%}
    select _record_hash, _connection, _synced_at, {{ parse_json_shape('_record', shape) }} as r
    from ({{ raw_records(source_name, table_name, restage=restage) }}) as landed
{%- endmacro %}

{#- Rule D1: 1 for each record's latest version by `time_expr` (the record's own update time), ties broken by
    sync time, then record hash. -#}
{% macro latest_version_rank(partition_by, time_expr) -%}
    row_number() over (partition by {{ partition_by }} order by {{ time_expr }} desc nulls last, _synced_at desc, _record_hash)
{%- endmacro %}
