{#- Vocabulary the Douyin, Taobao, JD and Pinduoduo staging needed (issue 16); the lead folds it into the dialect
    files. `default__` is DuckDB's spelling (its meaning is the reference), `spark__` Spark SQL's. -#}

{#- An integer type that holds the product of two amounts in cents exactly (DuckDB HUGEINT, 128-bit). -#}
{% macro exact_integer_type() -%}
    {{ return(adapter.dispatch('exact_integer_type', 'orderlayer')()) }}
{%- endmacro %}
{% macro default__exact_integer_type() -%}hugeint{%- endmacro %}
{#- Spark has no 128-bit integer: decimal(38, 0) holds the same whole numbers up to 10^38. -#}
{% macro spark__exact_integer_type() -%}decimal(38, 0){%- endmacro %}

{#- `dividend` divided by `divisor` (whole numbers of exact_integer_type()), the fraction dropped (toward zero). -#}
{% macro integer_quotient(dividend, divisor) -%}
    {{ return(adapter.dispatch('integer_quotient', 'orderlayer')(dividend, divisor)) }}
{%- endmacro %}
{% macro default__integer_quotient(dividend, divisor) -%}({{ dividend }}) // ({{ divisor }}){%- endmacro %}
{#- div truncates toward zero as DuckDB's // does on integers (its result is a bigint: a quotient of cents fits). -#}
{% macro spark__integer_quotient(dividend, divisor) -%}(({{ dividend }}) div ({{ divisor }})){%- endmacro %}
