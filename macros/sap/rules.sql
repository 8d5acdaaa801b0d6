{#- SAP OData V2 value formats (shared/channels/sap_s4hana.md §5–§6), typed with the shared rule macros. -#}

{#- T1: `/Date(<ms>)/` (Edm.DateTime) or `/Date(<ms>+0000)/` (Edm.DateTimeOffset): the milliseconds are UTC in both;
    the suffix is the source's offset in minutes and does not move the instant. NULL for null / '' and for
    values at or before the epoch's first day (SAP's "initial" dates). -#}
{% macro sap_date_to_utc(expr) -%}
    {{ to_utc("regexp_extract(trim(" ~ expr ~ "), '^/Date\\(([0-9]+)(?:[+-][0-9]{4})?\\)/\\z', 1)", 'epoch_ms') }}
{%- endmacro %}

{#- True when a date value is present but not in the /Date(…)/ form (→ quarantine). -#}
{% macro sap_date_is_invalid(expr) -%}
    ({{ expr }} is not null and trim({{ expr }}) <> ''
     and not {{ full_match('trim(' ~ expr ~ ')', "'/Date\\(-?[0-9]+(?:[+-][0-9]{4})?\\)/'") }})
{%- endmacro %}

{#- A1: an Edm.Decimal string ("1250.00"; Decimal(16,3) may carry a third, zero, decimal) → DECIMAL(18,2),
    exactly; a non-zero third decimal cannot be money and is invalid. -#}
{% macro sap_decimal_to_amount(expr) -%}
    {{ major_units_to_amount(zeros_after_cents_dropped('trim(' ~ expr ~ ')')) }}
{%- endmacro %}

{% macro sap_amount_is_invalid(expr) -%}
    ({{ expr }} is not null and trim({{ expr }}) <> '' and ({{ sap_decimal_to_amount(expr) }}) is null)
{%- endmacro %}

{#- The ERP status from the SD status domain (A not yet / B partially / C completely processed; '' and D not
    relevant): all items rejected = cancelled, processing complete = completed, anything processed or delivered
    = in_process, not yet processed = open. An unknown combination stays NULL (kept, never guessed). -#}
{% macro sap_erp_status(process, delivery, rejection) -%}
    case
        when {{ rejection }} = 'C' then 'cancelled'
        when {{ process }} = 'C' then 'completed'
        when {{ process }} = 'B' or coalesce({{ delivery }}, '') in ('B', 'C') then 'in_process'
        when coalesce({{ process }}, '') in ('A', '', 'D') then 'open'
    end
{%- endmacro %}
