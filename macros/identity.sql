{#- The order key: a stable hash of (channel, shop_id, channel_order_id). Order ids are only unique
    inside a shop, so the shop is always part of the key. Ids are text end to end. -#}
{% macro order_key(channel, shop_id, channel_order_id) -%}
    md5({{ channel }} || '|' || {{ shop_id }} || '|' || {{ channel_order_id }})
{%- endmacro %}

{#- True when an id is missing or a placeholder that would merge unrelated rows into one order: empty or
    whitespace only (tabs included), NULL/N/A/none/-/#N/A spelled out, all zeros, or scientific notation (a long
    number a spreadsheet rounded, e.g. 1.23457E+18). A leading byte-order mark is ignored first (file cells are
    read without it). -#}
{% macro id_is_placeholder(expr) -%}
    {%- set bare = trim_chars("replace(" ~ expr ~ ", " ~ byte_order_mark() ~ ", '')", "' ' || chr(9) || chr(10) || chr(13)") -%}
    ({{ expr }} is null
     or {{ bare }} = ''
     or upper({{ bare }}) in ('NULL', 'N/A', 'NA', '#N/A', 'NONE', 'NIL', 'NAN', 'UNDEFINED', '-', '--')
     or {{ full_match(bare, "'0+|[+-]?[0-9]+(\.[0-9]+)?[eE][+-]?[0-9]+'") }})
{%- endmacro %}
