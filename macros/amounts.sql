{#- Amount rules A1–A4. Money is DECIMAL(18,2) in major units and never passes through a float. -#}

{% macro money_type() -%}decimal(18,2){%- endmacro %}

{#- A1: integer minor units (fen, cents) as JSON text → major units. A value that is not a whole
    number (e.g. '12.5' fen, which a cast to BIGINT would silently round) gives NULL. -#}
{% macro minor_units_to_amount(expr) -%}
    case when regexp_full_match(trim({{ expr }}), '-?[0-9]{1,18}')
         then try_cast(cast(trim({{ expr }}) as decimal(38, 0)) * 0.01 as {{ money_type() }}) end
{%- endmacro %}

{#- A1: a decimal string in major units (yuan '12.30') → DECIMAL(18,2); more than 2 decimals is invalid. -#}
{% macro major_units_to_amount(expr) -%}
    case when regexp_full_match(trim({{ expr }}), '-?[0-9]{1,16}(\.[0-9]{1,2})?')
         then try_cast(trim({{ expr }}) as {{ money_type() }}) end
{%- endmacro %}

{#- True when `expr` has a value the converter above rejects (→ quarantine). -#}
{% macro amount_is_invalid(expr, unit='minor') -%}
    ({{ expr }} is not null and trim({{ expr }}) <> ''
     and ({% if unit == 'minor' %}{{ minor_units_to_amount(expr) }}{% else %}{{ major_units_to_amount(expr) }}{% endif %}) is null)
{%- endmacro %}
