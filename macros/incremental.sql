{#- Incremental builds (docs/incremental.md, DECISIONS D-038). Every raw row carries `_landed_seq`, a number the
    loader takes from one sequence when it inserts the row. A build processes the raw rows whose number lies in
    its landing window (after, through]: after = the highest number the last successful build saw, through = the
    highest number now. `orderlayer build` writes the window to `ops.build_window` before it runs dbt, and the
    models read it there at run time (not as --vars: a var that changes every build would make dbt re-parse the
    whole project every time). The vars orderlayer_landed_after / _through override it; with neither, every raw
    row is in the window (correct, only slower). On a first build or with --full-refresh dbt's own
    `is_incremental()` is false and no model looks at the window. -#}

{% macro landing_window() -%}
    {%- if var('orderlayer_landed_after', none) is not none or var('orderlayer_landed_through', none) is not none -%}
        {{ return([var('orderlayer_landed_after', none), var('orderlayer_landed_through', none)]) }}
    {%- endif -%}
    {%- if execute -%}
        {%- set rel = adapter.get_relation(database=target.database, schema='ops', identifier='build_window') -%}
        {%- if rel is not none -%}
            {%- set rows = run_query('select landed_after, landed_through from ' ~ rel).rows -%}
            {%- if rows | length == 1 -%}
                {{ return([rows[0][0], rows[0][1]]) }}
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
    {{ return([none, none]) }}
{%- endmacro %}

{% macro landed_after() -%}
    {{ return(landing_window()[0]) }}
{%- endmacro %}

{% macro landed_through() -%}
    {{ return(landing_window()[1]) }}
{%- endmacro %}

{#- True for a raw row landed inside this build's window. -#}
{% macro in_landing_window(column='_landed_seq') -%}
    {%- set window = landing_window() -%}
    {%- set after, through = window[0], window[1] -%}
    ({{ column }} > {{ after if after is not none else -1 }}
    {%- if through is not none %} and {{ column }} <= {{ through }}{% endif %})
{%- endmacro %}

{#- Every raw table the project declares as a source and that exists (a never-synced source has none). -#}
{% macro landed_tables() -%}
    {%- set tables = [] -%}
    {%- if execute -%}
        {%- for node in graph.sources.values() | sort(attribute='unique_id') -%}
            {%- set rel = adapter.get_relation(database=node.database, schema=node.schema, identifier=node.identifier) -%}
            {%- if rel is not none and rel not in tables -%}
                {%- do tables.append(rel) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(tables) }}
{%- endmacro %}

{#- The record hashes (= raw_record_id downstream) of every raw row landed in this build's window, all sources. -#}
{% macro landed_record_ids() -%}
    {%- set tables = landed_tables() -%}
    {%- for rel in tables %}
    select _record_hash from {{ rel }} where {{ in_landing_window() }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- else %}
    select cast(null as {{ text_type() }}) as _record_hash where false
    {%- endfor %}
{%- endmacro %}

{#- Raw filter of an incremental staging model. By default the rows landed in the window: a staging row depends on
    its raw row only, and the window's rows are the newest, so the scan skips the rest of the table by its zone
    maps. A model whose rows depend on the record's other versions (latest version, first time seen shipped,
    presale phases: stg_taobao__orders, stg_tiktok_shop__orders) sets `restage_all_versions=true` and gets every
    version of each record (its `_primary_key`) that has a version in the window, exactly as a full build sees
    them. Rows of a record are rewritten whole (delete+insert on raw_record_id); a raw row is never deleted, so a
    staging row never has to disappear. -#}
{% macro restage_filter(src, also=none) -%}
    {%- set through = landing_window()[1] -%}
    _landed_seq <= {{ through if through is not none else '_landed_seq' }}
    and (
        {{ in_landing_window() }}
        or _primary_key in (select _primary_key from {{ src }} where {{ in_landing_window() }} and _primary_key is not null)
        {%- if also %}
        or {{ also }}
        {%- endif %}
    )
{%- endmacro %}

{#- `where` of an incremental model: only rows whose key is in `scope_model` (a table of the keys this build
    recomputes); nothing on a full build. -#}
{% macro in_scope(key, scope_model, scope_key=none) -%}
    {%- set scope = ref(scope_model) -%}  {#- always, so dbt's parse records the dependency -#}
    {%- if is_incremental() -%}
    {{ key }} in (select {{ scope_key or key.split('.')[-1] }} from {{ scope }})
    {%- else -%}
    true
    {%- endif -%}
{%- endmacro %}

{#- pre_hook of an incremental model whose rows for a key may disappear when the key is recomputed (an order's
    current version with fewer lines, a match that no longer holds): delete:+insert replaces only the keys the new
    batch contains, so the rows of every key in scope are removed first. Runs inside the model's transaction. -#}
{% macro delete_keys_in_scope(key, scope_model) -%}
    {%- if is_incremental() -%}
    delete from {{ this }} where {{ key }} in (select {{ key }} from {{ ref(scope_model) }})
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}

{#- int_orders__versions limited to the orders of `scope_model` on an incremental build (for macros that take a
    relation, e.g. order_cancellations). -#}
{% macro scoped_versions(scope_model) -%}
    {%- set versions = ref('int_orders__versions') -%}
    {%- if is_incremental() -%}
    (select * from {{ versions }} where {{ in_scope('order_key', scope_model) }}) as scoped_versions
    {%- else -%}
    {{ versions }}
    {%- endif -%}
{%- endmacro %}

{#- The `index`-th (0-based) element, as text, of a JSON array stored as text (a raw row's `_primary_key`). -#}
{% macro json_array_text(expr, index) -%}
    {{ return(adapter.dispatch('json_array_text', 'orderlayer')(expr, index)) }}
{%- endmacro %}

{% macro default__json_array_text(expr, index) -%}
    json_extract_string({{ expr }}, '$[{{ index }}]')
{%- endmacro %}
{% macro spark__json_array_text(expr, index) -%}
    get_json_object({{ expr }}, '$[{{ index }}]')
{%- endmacro %}

{#- True (a SQL boolean) when the warehouse's first ERP orders landed in this build: an ERP order is current now and
    none of the typed ERP versions landed before this build's window. Until then nothing is reconciled and no
    channel order is expected in an ERP, so models that depend on "an ERP exists" recompute everything once. -#}
{% macro first_erp_orders_landed() -%}
    (exists (select 1 from {{ ref('int_erp_orders__current') }})
     and not exists (
        select 1 from ({{ union_erps() }}) as v
        where v.quarantine_reason is null
          and v.raw_record_id not in (select _record_hash from ({{ landed_record_ids() }}) as landed)
    ))
{%- endmacro %}

{#- A (channel, shop_id, business_date) in a scope of shop-days on an incremental build (channel and shop may be
    NULL: ERP orders of a customer mapped to no shop), true otherwise. -#}
{% macro day_in_scope(channel, shop_id, business_date, scope_model) -%}
    {%- set scope = ref(scope_model) -%}
    {%- if is_incremental() -%}
    exists (select 1 from {{ scope }} as s
            where s.channel is not distinct from {{ channel }} and s.shop_id is not distinct from {{ shop_id }}
              and s.business_date = {{ business_date }})
    {%- else -%}
    true
    {%- endif -%}
{%- endmacro %}

{#- pre_hook of a model keyed by shop-day: the rows of every shop-day in scope are removed first (a shop-day can
    lose all its orders, or its currency). -#}
{% macro delete_days_in_scope(scope_model) -%}
    {%- if is_incremental() -%}
    delete from {{ this }} as t where {{ day_in_scope('t.channel', 't.shop_id', 't.business_date', scope_model) }}
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}

{#- pre_hook of fct_reconciliation_exceptions: its ERP-only rows (no order_key) of the ERP orders in scope. -#}
{% macro delete_erp_orders_in_scope(scope_model) -%}
    {%- if is_incremental() -%}
    delete from {{ this }} as t
    where t.order_key is null
      and exists (select 1 from {{ ref(scope_model) }} as s
                  where s.erp_system = t.erp_system and s.erp_order_id = t.erp_order_id)
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}

{#- pre_hook of a model keyed by raw version whose rows name their order by (channel, shop_id, channel_order_id):
    every row of the orders in scope is removed first (a restaged version can stop being quarantined). -#}
{% macro delete_orders_in_scope(scope_model) -%}
    {%- if is_incremental() -%}
    delete from {{ this }} as t
    where exists (select 1 from {{ ref(scope_model) }} as s
                  where s.channel = t.channel and s.shop_id = t.shop_id and s.channel_order_id = t.channel_order_id)
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}

{#- ---- staging models whose rows depend on other versions or other streams (docs/incremental.md "Staging") ---- -#}

{#- The raw relation of a source stream, none when the source was never synced (or outside execution). -#}
{% macro raw_relation(source_name, table_name) -%}
    {%- set src = source(source_name, table_name) -%}
    {%- if execute and not (src.identifier or '').startswith('__dbt__cte__') -%}
        {{ return(adapter.get_relation(database=src.database, schema=src.schema, identifier=src.identifier)) }}
    {%- endif -%}
    {{ return(none) }}
{%- endmacro %}

{#- The hashes of the raw rows of a stream landed in this build's window (nothing when never synced). -#}
{% macro landed_hashes(source_name, table_name) -%}
    {%- set rel = raw_relation(source_name, table_name) -%}
    {%- if rel is not none -%}
    select _record_hash from {{ rel }} where {{ in_landing_window() }}
    {%- else -%}
    select cast(null as {{ text_type() }}) as _record_hash where false
    {%- endif -%}
{%- endmacro %}

{#- The hashes of every version of the records (`_primary_key`) of a stream that have a version landed in this
    build's window: the raw rows a model keeping one row per record (its latest version) may have shown before. -#}
{% macro restaged_versions(source_name, table_name) -%}
    {%- set rel = raw_relation(source_name, table_name) -%}
    {%- if rel is not none -%}
    select _record_hash from {{ rel }}
    where {{ in_landing_window() }}
       or _primary_key in (select _primary_key from {{ rel }} where {{ in_landing_window() }} and _primary_key is not null)
    {%- else -%}
    select cast(null as {{ text_type() }}) as _record_hash where false
    {%- endif -%}
{%- endmacro %}

{#- pre_hook of a staging model with one row per record, its latest version: a record with a new version landed
    shows another raw row than before, so delete+insert on raw_record_id alone would keep the old one. The rows of
    every version of those records (in each of `streams`, (source, table) pairs) are removed first; the model
    inserts each record's latest version again. -#}
{% macro delete_restaged_versions(streams) -%}
    {%- set parts = [] -%}
    {%- for s in streams -%}
        {%- if raw_relation(s[0], s[1]) is not none -%}{%- do parts.append(restaged_versions(s[0], s[1])) -%}{%- endif -%}
    {%- endfor -%}
    {%- if is_incremental() and parts -%}
    delete from {{ this }} where raw_record_id in ({{ parts | join(' union all ') }})
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}

{#- Raw filter (for raw_records' `restage`) of a model with one row per after-sale record that also reads the
    record's order (its lines, its shipment): every version of the records with a version landed, and every version
    of the records whose row names an order with a version landed (`orders_model`, a staging model keyed by
    raw_record_id, fed by the source's `orders` stream). The latter keep their latest version (none of theirs
    landed), so their rows are replaced in place by raw_record_id. -#}
{% macro restage_records_of_changed_orders(source_name, table_name, orders_model) -%}
    {%- set src = source(source_name, table_name) -%}
    {%- set of_changed_orders -%}
    _primary_key in (
            select _primary_key from {{ src }}
            where _record_hash in (
                select t.raw_record_id from {{ this }} as t
                inner join {{ ref(orders_model) }} as o
                    on o.shop_id = t.shop_id and o.channel_order_id = t.channel_order_id
                where o.raw_record_id in ({{ landed_hashes(source_name, 'orders') }})
            )
        )
    {%- endset -%}
    {{ restage_filter(src, also=of_changed_orders) }}
{%- endmacro %}

{#- True (a SQL boolean) when the order (`shop_expr`, `order_expr`) is one of the (shop_id, order_id) rows `orders`
    (a query or a CTE's name) selects. NULL-safe: a record without an id is scoped with the others of its shop that
    lack one, as a full build groups them. -#}
{% macro order_in(shop_expr, order_expr, orders) -%}
    exists (select 1 from {{ orders }} as scoped_order
            where scoped_order.shop_id is not distinct from {{ shop_expr }}
              and scoped_order.order_id is not distinct from {{ order_expr }})
{%- endmacro %}

{#- pre_hook of a staging model re-staged by order (stg_shopify__refunds): every row of the orders `orders` selects
    ((shop_id, order_id), computed from raw alone) is removed first; the model inserts those orders' rows again.
    A row's order is its (shop_id, channel_order_id). -#}
{% macro delete_rows_of_orders(orders) -%}
    {%- if is_incremental() -%}
    delete from {{ this }} as t where {{ order_in('t.shop_id', 't.channel_order_id', '(' ~ orders ~ ')') }}
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}

{#- A text field of a JSON object stored as text (a raw row's `_record`), NULL when absent. -#}
{% macro json_field_text(expr, field) -%}
    {{ return(adapter.dispatch('json_field_text', 'orderlayer')(expr, field)) }}
{%- endmacro %}

{% macro default__json_field_text(expr, field) -%}
    json_extract_string({{ expr }}, '$.{{ field }}')
{%- endmacro %}
{% macro spark__json_field_text(expr, field) -%}
    get_json_object({{ expr }}, '$.{{ field }}')
{%- endmacro %}

{#- ---- Spark (docs/engines.md) ---- -#}

{#- dbt-spark knows no delete+insert (plain Parquet tables take no DELETE). orderlayer builds every model on Spark
    with --full-refresh (core/engines.py, D-077), where dbt-spark creates the table whole and never uses the
    strategy: a model configured with DuckDB's delete+insert builds in full there, and an incremental run (no full
    refresh, the table exists) is refused rather than appending to it. Overrides dbt-spark's check of that name
    (this project's macros win over the adapter's). -#}
{% macro dbt_spark_validate_get_incremental_strategy(raw_strategy, file_format) %}
    {%- if raw_strategy == 'delete+insert' -%}
        {%- if not should_full_refresh() and load_relation(this) is not none -%}
            {{ exceptions.raise_compiler_error(this ~ ": delete+insert does not run on Spark; build with --full-refresh (orderlayer does, docs/engines.md)") }}
        {%- endif -%}
        {{ return(raw_strategy) }}
    {%- endif -%}
    {{ return(dbt.dbt_spark_validate_get_incremental_strategy(raw_strategy, file_format)) }}
{% endmacro %}
