{#- Rule A4: the rate for converting `currency` into the reporting currency on a date is the latest
    rate on or before that date (seeds/fx_rates.csv: 1 unit of `currency` = `rate` units of
    `reporting_currency`). Emits a join clause exposing `fx.rate` for each row of `alias`. -#}
{% macro join_fx_rate(alias, currency, on_date, rates) -%}
    {{ return(adapter.dispatch('join_fx_rate', 'orderlayer')(alias, currency, on_date, rates)) }}
{%- endmacro %}

{% macro default__join_fx_rate(alias, currency, on_date, rates) -%}
    left join lateral (
        select r.rate
        from {{ rates }} as r
        where r.currency = {{ alias }}.{{ currency }}
          and r.reporting_currency = {{ reporting_currency() }}
          and r.rate_date <= {{ alias }}.{{ on_date }}
        order by r.rate_date desc
        limit 1
    ) as fx on true
{%- endmacro %}

{% macro duckdb__join_fx_rate(alias, currency, on_date, rates) -%}
    asof left join (
        select currency as fx_currency, rate_date as fx_date, rate
        from {{ rates }}
        where reporting_currency = {{ reporting_currency() }}
    ) as fx
        on fx.fx_currency = {{ alias }}.{{ currency }} and {{ alias }}.{{ on_date }} >= fx.fx_date
{%- endmacro %}

{#- Spark has no ASOF join and no LIMIT in a correlated subquery: each rate holds from its date until the next one
    of its currency. -#}
{% macro spark__join_fx_rate(alias, currency, on_date, rates) -%}
    left join (
        select currency as fx_currency, rate_date as fx_date, rate,
               lead(rate_date) over (partition by currency order by rate_date) as fx_until
        from {{ rates }}
        where reporting_currency = {{ reporting_currency() }}
    ) as fx
        on fx.fx_currency = {{ alias }}.{{ currency }} and {{ alias }}.{{ on_date }} >= fx.fx_date
        and ({{ alias }}.{{ on_date }} < fx.fx_until or fx.fx_until is null)
{%- endmacro %}

{#- An amount in the reporting currency: unchanged when already in it, else × the dated rate, rounded
    half away from zero to cents; NULL when no rate is known (never a guess). -#}
{% macro to_reporting_currency(amount, currency, rate) -%}
    case
        when {{ currency }} = {{ reporting_currency() }} then {{ amount }}
        else cast(round({{ amount }} * {{ rate }}, 2) as {{ money_type() }})
    end
{%- endmacro %}
