{#- Rule D3 beyond typing: a version every staging model typed can still be suspicious (docs/canonical-order-model.md,
    "Suspicious is not silent"). The rules live here once; file sources apply them in their generated staging model
    (the reason starts with file and line), every channel gets them again on the union below (the reason starts with
    the channel and the API record id), so a file row is judged once and an API record the same way. -#}

{#- Every staged order version across channels, with `landed_seq` (when its raw row landed, D-051) and the
    suspicion rules applied to `quarantine_reason`:
      - placeholder ids, negative or absurd paid amounts (suspicious_order_reason);
      - conflicting versions (D-051): same order and source_updated_at, different content — the later landing
        wins, every earlier one is quarantined naming the winner. Never a hash.
    Materialised once as int_orders__judged; int_orders__versions reads the clean versions, quarantine_orders the rest.
    `changed` (an incremental build: int_orders__changed) limits the work to the versions landed in this build and
    every version of the orders it recomputes, before the content hash and the window: both rules judge one order's
    versions together, so the result for those orders is the full build's, at the cost of what changed. -#}
{% macro order_versions(changed=none) -%}
    {%- set order_models = channel_models('orders') | map('first') | list -%}
    select * from (
        with versions as (
            select v.* from ({{ union_channels('orders') }}) as v
            {%- if changed is not none %}
            where {{ landed_or_changed_version('v', changed) }}
            {%- endif %}
        ),

        staged as (
            select v.*, s._landed_seq as landed_seq,
                   -- where the record came from: file and line, else the channel's order id and the raw record
                   coalesce(s.locator, {{ format_text_or_null("'{} order {} (raw record {})'", [
                            'v.channel', "coalesce('\"' || v.channel_order_id || '\"', 'NULL')", 'v.raw_record_id']) }}) as record_locator
            from versions as v
            -- incremental: only the raw rows of the versions judged again, not a join over all raw
            left join ({{ landed_order_seqs('select raw_record_id from versions' if changed is not none else none) }}) as s
                on s._record_hash = v.raw_record_id
        ),

        judged as (
            select {{ star_replace({'quarantine_reason': 'coalesce(quarantine_reason, ' ~ suspicious_order_reason() ~ ')'},
                                   order_models, ['landed_seq', 'record_locator']) }}
            from staged
        ),

        fingerprinted as (
            select
                *,
                -- what the version says, without where and when it landed
                {{ content_hash(['raw_record_id', 'connection_name', 'source_synced_at', 'landed_seq', 'record_locator',
                                 'quarantine_reason']) }} as content_hash
            from judged
        ),

        tied as (
            select
                *,
                -- the version landed last among the clean versions with this update time
                max_by(record_locator, landed_seq) over same_time as tie_winner,
                max_by(content_hash, landed_seq) over same_time as tie_winner_content
            from fingerprinted
            where quarantine_reason is null
            window same_time as (partition by channel, shop_id, channel_order_id, source_updated_at)
        )

        {%- set conflict -%}
            case when content_hash <> tie_winner_content
                 then {{ format_text_or_null("'{}: conflicting version of order {} — same source_updated_at {} as {}, different content; the later landing wins (D-051)'",
                                             ['record_locator', 'channel_order_id', iso_instant_text('source_updated_at'), 'tie_winner']) }}
            end
        {%- endset %}
        select {{ star_replace({'quarantine_reason': conflict}, order_models,
                               ['landed_seq', 'record_locator', 'content_hash', 'tie_winner', 'tie_winner_content'],
                               exclude=['content_hash', 'tie_winner', 'tie_winner_content', 'record_locator']) }}
        from tied
        -- the same columns in the same order
        union all
        select * except (content_hash, record_locator) from fingerprinted where quarantine_reason is not null
    ) as order_versions
{%- endmacro %}

{#- A staged order version (relation alias `v`) an incremental build judges again: landed in this build, or a version
    of an order it recomputes (`changed`: int_orders__changed). -#}
{% macro landed_or_changed_version(v, changed) -%}
    ({{ v }}.raw_record_id in (select _record_hash from ({{ landed_record_ids() }}) as landed)
     or exists (
         select 1 from {{ changed }} as c
         where c.channel = {{ v }}.channel and c.shop_id = {{ v }}.shop_id and c.channel_order_id = {{ v }}.channel_order_id
     ))
{%- endmacro %}

{#- Why a typed order version is suspicious, or NULL (on a relation with the staging contract's columns).
    The channel and the API record id lead the reason; a file source already quarantined the same rows with
    file and line in its staging model. -#}
{% macro suspicious_order_reason() -%}
    case
        when {{ id_is_placeholder('channel_order_id') }} then record_locator || ': placeholder channel_order_id'
        when {{ id_is_placeholder('shop_id') }} then {{ format_text_or_null("'{}: placeholder shop_id \"{}\"'", ['record_locator', 'shop_id']) }}
        when {{ amount_problem('paid_amount', 'currency', 'paid_amount') }} is not null
            then record_locator || ': ' || {{ amount_problem('paid_amount', 'currency', 'paid_amount') }}
    end
{%- endmacro %}

{#- (_record_hash, _landed_seq, locator) of every landed raw order row of the staged channels — or of those whose
    hash `keys` (a query of one column) selects; `locator` is '<file> line <n>' for a file source's row. -#}
{% macro landed_order_seqs(keys=none) -%}
    {%- set parts = [] -%}
    {%- for channel in staged_channels() -%}
        {%- set src = source(channel, 'orders') -%}
        {%- set rel = adapter.get_relation(database=src.database, schema=src.schema, identifier=src.identifier) if execute else none -%}
        {%- if rel is not none -%}{%- do parts.append((channel, src)) -%}{%- endif -%}
    {%- endfor -%}
    {%- for channel, src in parts %}
    select _record_hash, _landed_seq,
           {% if channel in file_channels() -%}
           {{ format_text_or_null("'{} line {}'", [json_text('_record', ['file']), json_text('_record', ['line'])]) }}
           {%- else %}cast(null as {{ text_type() }}){% endif %} as locator
    from {{ src }}
    {%- if keys is not none %}
    where _record_hash in ({{ keys }})
    {%- endif %}
    {%- if not loop.last %} union all{% endif %}
    {%- else %}
    select cast(null as {{ text_type() }}) as _record_hash, cast(null as bigint) as _landed_seq, cast(null as {{ text_type() }}) as locator
    where false
    {%- endfor %}
{%- endmacro %}

{#- A shifted row's tell in a place column (province, city): a value that is a code, not a name — a run of five or
    more digits (a tracking or phone number, a postcode) or no letter at all (a time, an amount). -#}
{% macro text_is_not_a_place(expr) -%}
    ({{ expr }} is not null and ({{ contains_match(expr, "'[0-9]{5,}'") }} or not {{ contains_match(expr, "'[A-Za-z]|[^\x00-\x7F]'") }}))
{%- endmacro %}

{#- A hash of every column of the row being selected except `exclude` (column names): versions with the same content
    get the same value. 64 bits, used only to tell apart versions of one order with the same update time (D-051)
    within one query, never stored; a collision (about 1 in 10^19 per pair) would let the later landing win without
    quarantining the other. -#}
{% macro content_hash(exclude) -%}
    {{ return(adapter.dispatch('content_hash', 'orderlayer')(exclude)) }}
{%- endmacro %}

{% macro default__content_hash(exclude) -%}
    hash(*columns(* exclude ({{ exclude | join(', ') }})))
{%- endmacro %}
{#- Spark's xxhash64 skips NULL arguments (('a', NULL) and (NULL, 'a') would collide): the row as JSON names each
    non-NULL column. -#}
{% macro spark__content_hash(exclude) -%}
    xxhash64(to_json(struct(* except ({{ exclude | join(', ') }}))))
{%- endmacro %}
