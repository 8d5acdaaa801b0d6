{#- The carrier fields orderlayer reads (docs/logistics.md), declared once per carrier source like the channels'
    order shapes: every value read as text, typed by the rule macros, so a wrong-typed value becomes a quarantine
    reason instead of a failed build. -#}
{% macro sf_express_route_shape() -%}
{{ return({
    "mailNo": "VARCHAR",
    "routes": [{"acceptTime": "VARCHAR", "acceptAddress": "VARCHAR", "opCode": "VARCHAR", "firstStatusName": "VARCHAR"}]
}) }}
{%- endmacro %}

{% macro kuaidi100_tracking_shape() -%}
{{ return({
    "nu": "VARCHAR", "com": "VARCHAR", "state": "VARCHAR", "ischeck": "VARCHAR", "watch_status": "VARCHAR",
    "data": [{"time": "VARCHAR", "ftime": "VARCHAR", "areaName": "VARCHAR", "status": "VARCHAR", "statusCode": "VARCHAR"}]
}) }}
{%- endmacro %}

{% macro parse_carrier_record(record, shape) -%}
    {{ parse_json_shape(record, shape) }}
{%- endmacro %}

{#- The carrier staging models fct_shipment_events reads, each with the same columns (docs/logistics.md), in the
    order a parcel's events are preferred when two sources track it (the carrier's own API first), and which
    seeds/carrier_states.csv code type its `native_code` and its `native_status` are (the code wins). -#}
{% macro carrier_event_sources() -%}
{{ return([
    {"source": "sf_express", "model": "stg_sf_express__route_events", "code": "opcode", "status": "first_status"},
    {"source": "kuaidi100", "model": "stg_kuaidi100__tracking_events", "code": "state", "status": "status_text"},
]) }}
{%- endmacro %}

{#- Whether any carrier source has landed anything (a deployment without carriers pays nothing for them). -#}
{% macro carrier_tables_exist() -%}
    {%- set found = [] -%}
    {%- if execute -%}
        {%- for s in carrier_event_sources() -%}
            {%- for node in graph.sources.values() if node.source_name == s.source -%}
                {%- if adapter.get_relation(database=node.database, schema=node.schema, identifier=node.identifier) is not none -%}
                    {%- do found.append(node.name) -%}
                {%- endif -%}
            {%- endfor -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(found | length > 0) }}
{%- endmacro %}

{#- The tracking numbers of carrier records landed in this build's window (their staging rows). -#}
{% macro landed_carrier_tracking_numbers() -%}
    {%- for s in carrier_event_sources() %}
    select tracking_number from {{ ref(s.model) }} where raw_record_id in (select _record_hash from landed)
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}
