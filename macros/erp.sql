{#- The ERP side of "one order across systems". ERP staging models (stg_<erp>__sales_orders) share one column
    contract (docs/erp-reconciliation.md); matching rules and the customer -> shop map come from orderlayer.yml
    (`erp_matching:`) through the vars below. -#}

{#- ERPs whose staging models feed the ERP order model. -#}
{% macro staged_erps() -%}
    {{ return(var('orderlayer_erps', ['sap', 'kingdee', 'yonyou'])) }}
{%- endmacro %}

{% macro union_erps() -%}
    {%- set erps = staged_erps() -%}
    {%- if erps | length == 0 -%}
    {%- set text, instant = text_type(), instant_type() -%}
    select
        cast(null as {{ text }}) as raw_record_id, cast(null as {{ text }}) as connection_name,
        cast(null as {{ instant }}) as source_synced_at, cast(null as {{ text }}) as erp_system,
        cast(null as {{ text }}) as erp_company, cast(null as {{ text }}) as erp_order_id,
        cast(null as {{ text }}) as erp_customer, cast(null as {{ text }}) as channel_reference,
        cast(null as {{ instant }}) as ordered_at, cast(null as {{ instant }}) as erp_updated_at,
        cast(null as {{ text }}) as status_native, cast(null as {{ text }}) as status,
        cast(null as {{ money_type() }}) as order_amount, cast(null as {{ money_type() }}) as net_amount,
        cast(null as {{ money_type() }}) as tax_amount, cast(null as {{ text }}) as currency,
        cast(null as {{ money_type() }}) as refund_amount, cast(null as {{ text }}) as quarantine_reason
    where false
    {%- else -%}
    {%- set parts = [] -%}
    {%- for erp in erps -%}
        {%- do parts.append([ref('stg_' ~ erp ~ '__sales_orders'), erp_versions(erp)]) -%}
    {%- endfor -%}
    {{ union_by_name(parts) }}
    {%- endif -%}
{%- endmacro %}

{#- One ERP's staged versions; a configured `reference_field` (a JSON path into the raw record) replaces the
    documented reference field the staging model reads. -#}
{% macro erp_versions(erp) -%}
    {%- set rule = var('orderlayer_erp_matching', {}).get(erp, {}) -%}
    {%- if rule.get('reference_field') -%}
    {%- set staged = ref('stg_' ~ erp ~ '__sales_orders') %}
    select {{ star_replace({'channel_reference': "nullif(trim(" ~ json_path_text('r._record', rule['reference_field']) ~ "), '')"},
                           [staged], alias='s') }}
    from {{ staged }} as s
    left join ({{ raw_records(erp, 'sales_orders', all_versions=true) }}) as r on r._record_hash = s.raw_record_id
    {%- else -%}
    select * from {{ ref('stg_' ~ erp ~ '__sales_orders') }}
    {%- endif -%}
{%- endmacro %}

{#- The reference with the ERP's configured prefixes and suffixes removed (case-insensitive), e.g.
    `JD-3051234567890123456` -> `3051234567890123456`. Exact matches are tried before normalised ones, so an id
    that itself starts with a configured prefix (Meituan-style `meituan_2025…`) still matches exactly. -#}
{% macro normalized_reference(reference, erp_system) -%}
    {%- set rules = var('orderlayer_erp_matching', {}) -%}
    {%- set ns = namespace(any=false) -%}
    {%- for erp, rule in rules.items() if rule.get('strip_prefixes') or rule.get('strip_suffixes') -%}
        {%- set ns.any = true -%}
    {%- endfor -%}
    {%- if not ns.any -%}
    {{ reference }}
    {%- else -%}
    case {{ erp_system }}
    {%- for erp, rule in rules.items() if rule.get('strip_prefixes') or rule.get('strip_suffixes') %}
        when '{{ erp }}' then {{ _strip_affixes(reference, rule.get('strip_prefixes', []), rule.get('strip_suffixes', [])) }}
    {%- endfor %}
        else {{ reference }}
    end
    {%- endif -%}
{%- endmacro %}

{% macro _strip_affixes(expr, prefixes, suffixes) -%}
    {%- set out = expr -%}
    {#- one match at most (anchored), case-insensitive: (?i), \z (the very end, as RE2's $ without (?m)) -#}
    {%- if prefixes -%}
        {%- set out = replace_all(out, "'(?i)^(?:" ~ _alternatives(prefixes) ~ ")'", "''") -%}
    {%- endif -%}
    {%- if suffixes -%}
        {%- set out = replace_all(out, "'(?i)(?:" ~ _alternatives(suffixes) ~ ")\z'", "''") -%}
    {%- endif -%}
    {{ out }}
{%- endmacro %}

{#- A regex alternation of literal strings, escaped for the regex and for the SQL string literal. -#}
{% macro _alternatives(literals) -%}
    {%- set escaped = [] -%}
    {%- for literal in literals -%}
        {%- do escaped.append(modules.re.escape(literal | string) | replace("'", "''")) -%}
    {%- endfor -%}
    {{ escaped | join('|') }}
{%- endmacro %}

{#- ERP customer -> channel shop, from orderlayer.yml (`erp_matching.<erp>.customers`): places ERP-only orders
    on a shop's reconciliation row and keeps a reference from matching another shop's order. -#}
{% macro erp_customer_shops() -%}
    {%- set rows = var('orderlayer_erp_customers', []) -%}
    {%- if rows | length == 0 -%}
    select cast(null as {{ text_type() }}) as erp_system, cast(null as {{ text_type() }}) as erp_customer,
           cast(null as {{ text_type() }}) as channel, cast(null as {{ text_type() }}) as shop_id
    where false
    {%- else -%}
    select * from (values
        {%- for r in rows %}
        ('{{ r.erp_system | replace("'", "''") }}', '{{ r.erp_customer | replace("'", "''") }}',
         '{{ r.channel | replace("'", "''") }}', '{{ r.shop_id | replace("'", "''") }}'){{ "," if not loop.last }}
        {%- endfor %}
    ) as customers (erp_system, erp_customer, channel, shop_id)
    {%- endif -%}
{%- endmacro %}
