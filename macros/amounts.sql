{#- Amount rules A1–A4. Money is DECIMAL(18,2) in major units and never passes through a float. -#}

{% macro money_type() -%}decimal(18,2){%- endmacro %}

{#- A1: integer minor units (fen, cents) as JSON text → major units. A value that is not a whole
    number (e.g. '12.5' fen, which a cast to BIGINT would silently round) gives NULL. -#}
{% macro minor_units_to_amount(expr) -%}
    case when {{ full_match('trim(' ~ expr ~ ')', "'-?[0-9]{1,18}'") }}
         then try_cast(cast(trim({{ expr }}) as decimal(38, 0)) * 0.01 as {{ money_type() }}) end
{%- endmacro %}

{#- A1: a decimal string in major units (yuan '12.30') → DECIMAL(18,2); more than 2 decimals is invalid. -#}
{% macro major_units_to_amount(expr) -%}
    case when {{ full_match('trim(' ~ expr ~ ')', "'-?[0-9]{1,16}(\\.[0-9]{1,2})?'") }}
         then try_cast(trim({{ expr }}) as {{ money_type() }}) end
{%- endmacro %}

{#- True when `expr` has a value the converter above rejects (→ quarantine). -#}
{% macro amount_is_invalid(expr, unit='minor') -%}
    ({{ expr }} is not null and trim({{ expr }}) <> ''
     and ({% if unit == 'minor' %}{{ minor_units_to_amount(expr) }}{% else %}{{ major_units_to_amount(expr) }}{% endif %}) is null)
{%- endmacro %}

{#- A4/A5: the most a single order may be paid in `currency` before it is quarantined as absurd (a typo, a
    placeholder like 9999999999999999.99, an amount in the wrong unit). The var `orderlayer_amount_ceilings` maps a
    currency code (or `default`) to a ceiling in major units; defaults: 10,000,000 for any currency, higher for
    currencies with small units. A NULL currency (resolved later from the connection) uses `default`. -#}
{% macro amount_ceiling(currency) -%}
    {%- set ceilings = {'default': 10000000, 'JPY': 1000000000, 'KRW': 10000000000, 'IDR': 100000000000,
                        'VND': 100000000000} -%}
    {%- do ceilings.update(var('orderlayer_amount_ceilings', {})) -%}
    case {{ currency }}
        {%- for code, ceiling in ceilings.items() if code != 'default' %}
        when '{{ code | upper }}' then {{ ceiling }}
        {%- endfor %}
        else {{ ceilings['default'] }}
    end
{%- endmacro %}

{#- A5: why a typed paid amount is suspicious, or NULL: negative (a refund is never a negative payment), or beyond
    the currency's ceiling. `name` is the field as the reason should call it. -#}
{% macro amount_problem(amount, currency, name) -%}
    case
        when {{ amount }} < 0
            then {{ format_text_or_null("'negative {} {}'", ["'" ~ name ~ "'", 'cast(' ~ amount ~ ' as ' ~ text_type() ~ ')']) }}
        when {{ amount }} > {{ amount_ceiling(currency) }}
            then {{ format_text_or_null("'{} {} is above the ceiling {} for {} (var orderlayer_amount_ceilings)'", [
                        "'" ~ name ~ "'", 'cast(' ~ amount ~ ' as ' ~ text_type() ~ ')', amount_ceiling(currency),
                        "coalesce(" ~ currency ~ ", 'the default currency')"]) }}
    end
{%- endmacro %}
