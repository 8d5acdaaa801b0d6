{#- Whole numbers wider than 64 bits: cents times weights in allocation and refund rounding stay exact. -#}

{#- An integer type holding 38 digits. -#}
{% macro wide_integer_type() -%}
    {{ return(adapter.dispatch('wide_integer_type', 'orderlayer')()) }}
{%- endmacro %}
{% macro default__wide_integer_type() -%}hugeint{%- endmacro %}
{% macro spark__wide_integer_type() -%}decimal(38, 0){%- endmacro %}

{#- The whole quotient of two whole numbers, rounded toward zero. -#}
{% macro whole_division(dividend, divisor) -%}
    {{ return(adapter.dispatch('whole_division', 'orderlayer')(dividend, divisor)) }}
{%- endmacro %}
{% macro default__whole_division(dividend, divisor) -%}(({{ dividend }}) // ({{ divisor }})){%- endmacro %}
{% macro spark__whole_division(dividend, divisor) -%}cast(({{ dividend }}) div ({{ divisor }}) as decimal(38, 0)){%- endmacro %}
