{#- Youzan facts the fact sheet leaves unconfirmed, as dbt vars with the safe default (docs/channels/youzan.md).
      youzan_amount_unit        'yuan' (default; SDK types amounts as decimals) | 'fen' — order and line amounts
      youzan_phase_amount_unit  'fen' (default; the SDK types phase real_price as long) | 'yuan'
      youzan_source_timezone    zone of the naive yyyy-MM-dd HH:mm:ss times (default Asia/Shanghai)
      youzan_discounts_funded_by 'shop' (default: Youzan is the merchant's own storefront) | 'platform' -#}

{% macro youzan_var(name) -%}
    {%- set defaults = {
        'youzan_amount_unit': 'yuan',
        'youzan_phase_amount_unit': 'fen',
        'youzan_source_timezone': 'Asia/Shanghai',
        'youzan_discounts_funded_by': 'shop',
    } -%}
    {%- set allowed = {
        'youzan_amount_unit': ['yuan', 'fen'],
        'youzan_phase_amount_unit': ['yuan', 'fen'],
        'youzan_discounts_funded_by': ['shop', 'platform'],
    } -%}
    {%- set value = var(name, defaults[name]) -%}
    {%- if name in allowed and value not in allowed[name] -%}
        {{ exceptions.raise_compiler_error("var " ~ name ~ " must be one of " ~ allowed[name] ~ ", got '" ~ value ~ "'") }}
    {%- endif -%}
    {{ return(value) }}
{%- endmacro %}

{#- An amount field (JSON text) in the unit `unit_var` declares, as DECIMAL(18,2) (rule A1), and its validity test. -#}
{% macro youzan_amount(expr, unit_var='youzan_amount_unit') -%}
    {%- if youzan_var(unit_var) == 'fen' -%}{{ minor_units_to_amount(expr) }}{%- else -%}{{ major_units_to_amount(expr) }}{%- endif -%}
{%- endmacro %}

{% macro youzan_amount_is_invalid(expr, unit_var='youzan_amount_unit') -%}
    {{ amount_is_invalid(expr, 'minor' if youzan_var(unit_var) == 'fen' else 'major') }}
{%- endmacro %}

{#- A naive platform time (yyyy-MM-dd HH:mm:ss in the source zone) as UTC, and its validity test (rules T1, T2). -#}
{% macro youzan_time(expr) -%}
    {{ to_utc(expr, 'local', youzan_var('youzan_source_timezone')) }}
{%- endmacro %}

{% macro youzan_time_is_invalid(expr) -%}
    {{ time_is_invalid(expr, 'local', youzan_var('youzan_source_timezone')) }}
{%- endmacro %}
