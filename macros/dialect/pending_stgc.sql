{#- Vocabulary the staging models of Meituan, Ele.me, SF Express, Kuaidi100, SAP, Kingdee and Yonyou need beyond
    macros/dialect/ (issue 16). `default__` is DuckDB's spelling (its meaning is the reference), `spark__` Spark SQL's. -#}

{#- A landed JSON record read into a struct of `shape`, whose leaves may be 'VARCHAR' (the value as text, a JSON
    number as DuckDB writes it), 'JSON' (the value kept as JSON: an array or object as its JSON text) or
    'DECIMAL(p,s)' (a JSON number read digit for digit; NULL when the value is not a number). -#}
{% macro parse_json_record(record, shape) -%}
    {{ return(adapter.dispatch('parse_json_record', 'orderlayer')(record, shape)) }}
{%- endmacro %}
{% macro default__parse_json_record(record, shape) -%}from_json({{ record }}, '{{ tojson(shape) }}'){%- endmacro %}
{#- Spark's string leaf writes a JSON number through Java's Double.toString (1.0E7 where DuckDB writes 10000000.0),
    so every text leaf is rewritten as DuckDB writes the number; from_json runs once (the one-element array). -#}
{% macro spark__parse_json_record(record, shape) -%}
    element_at(transform(array(from_json({{ record }}, '{{ spark_record_ddl(shape) }}')), p__ -> {{ spark_record_value('p__', shape, 0) }}), 1)
{%- endmacro %}

{#- A shape as a Spark DDL type: struct<`a`: string, `b`: array<struct<…>>, `c`: decimal(38,10)>. -#}
{% macro spark_record_ddl(shape) -%}
    {%- if shape is mapping -%}
        {%- set fields = [] -%}
        {%- for name, sub in shape.items() -%}
            {%- do fields.append('`' ~ name ~ '`: ' ~ spark_record_ddl(sub)) -%}
        {%- endfor -%}
        struct<{{ fields | join(', ') }}>
    {%- elif shape is sequence and shape is not string -%}
        array<{{ spark_record_ddl(shape[0]) }}>
    {%- elif shape | upper in ('VARCHAR', 'JSON') -%}
        string
    {%- elif (shape | upper).startswith('DECIMAL(') -%}
        {{ shape | lower }}
    {%- else -%}
        {{ exceptions.raise_compiler_error("parse_json_record: leaf type '" ~ shape ~ "' is not VARCHAR, JSON or DECIMAL(p,s)") }}
    {%- endif -%}
{%- endmacro %}

{#- The parsed value `expr` of `shape` with its text leaves rewritten (spark__parse_json_record); NULL stays NULL. -#}
{% macro spark_record_value(expr, shape, depth) -%}
    {%- if shape is mapping -%}
        if({{ expr }} is null, null, named_struct(
        {%- for name, sub in shape.items() -%}
            '{{ name }}', {{ spark_record_value(expr ~ '.`' ~ name ~ '`', sub, depth) }}{{ ', ' if not loop.last }}
        {%- endfor -%}))
    {%- elif shape is sequence and shape is not string -%}
        {%- set var = 'e' ~ depth ~ '__' -%}
        transform({{ expr }}, {{ var }} -> {{ spark_record_value(var, shape[0], depth + 1) }})
    {%- elif shape | upper == 'VARCHAR' -%}
        {{ spark_duckdb_number_text(expr) }}
    {%- else -%}
        {{ expr }}
    {%- endif -%}
{%- endmacro %}

{#- A text leaf as DuckDB's from_json gives it: Java writes a double outside [1e-3, 1e7) as 1.2345E7 / 1.0E-4, DuckDB
    writes one in [1e-4, 1e16) in full (12345000.0, 0.0001) and others as 1e+16 / 1e-05. -#}
{% macro spark_duckdb_number_text(text) -%}
    case when {{ text }} rlike '^-?[0-9]\.[0-9]+E-?[0-9]+\z' then
        case when abs(cast({{ text }} as double)) >= 1e16 or abs(cast({{ text }} as double)) < 1e-4
             then concat(regexp_replace(substring_index({{ text }}, 'E', 1), '\.0\z', ''), 'e',
                         if(substring_index({{ text }}, 'E', -1) like '-%', '-', '+'),
                         lpad(replace(substring_index({{ text }}, 'E', -1), '-', ''), 2, '0'))
             else regexp_replace(regexp_replace(cast(cast({{ text }} as decimal(38, 22)) as string), '0+\z', ''), '\.\z', '.0')
        end
    else {{ text }} end
{%- endmacro %}

{#- A JSON leaf (parse_json_record's 'JSON') holding a list as a JSON array or as a JSON string that holds one: the
    list of `shape` (a one-element list of a field dict), or NULL when the value is missing or not such a list. Nested
    CASEs, not AND: a string that is not JSON must never reach a JSON function (DuckDB does not short-circuit AND). -#}
{% macro json_list_value(json_expr, shape) -%}
    {{ return(adapter.dispatch('json_list_value', 'orderlayer')(json_expr, shape)) }}
{%- endmacro %}
{% macro default__json_list_value(json_expr, shape) -%}
    case
        when json_type({{ json_expr }}) = 'ARRAY' then from_json({{ json_expr }}, '{{ tojson(shape) }}')
        when json_type({{ json_expr }}) = 'VARCHAR' then
            case when json_valid({{ json_expr }} ->> '$') then
                case when json_type({{ json_expr }} ->> '$') = 'ARRAY' then from_json({{ json_expr }} ->> '$', '{{ tojson(shape) }}') end
            end
    end
{%- endmacro %}
{#- On Spark the leaf is text: an array's JSON text, or a string's content — in both cases the text to read. -#}
{% macro spark__json_list_value(json_expr, shape) -%}
    case when json_array_length({{ json_expr }}) is not null then {{ parse_json_record(json_expr, shape) }} end
{%- endmacro %}

{#- True when a JSON leaf is present but is neither an array nor a string holding one. -#}
{% macro json_list_value_is_invalid(json_expr) -%}
    {{ return(adapter.dispatch('json_list_value_is_invalid', 'orderlayer')(json_expr)) }}
{%- endmacro %}
{% macro default__json_list_value_is_invalid(json_expr) -%}
    (case
        when {{ json_expr }} is null then false
        when json_type({{ json_expr }}) in ('NULL', 'ARRAY') then false
        when json_type({{ json_expr }}) = 'VARCHAR' then
            case when json_valid({{ json_expr }} ->> '$') then json_type({{ json_expr }} ->> '$') <> 'ARRAY' else true end
        else true
    end)
{%- endmacro %}
{#- A JSON null reads as NULL on Spark; any other value's text must be a JSON array. -#}
{% macro spark__json_list_value_is_invalid(json_expr) -%}
    ({{ json_expr }} is not null and json_array_length({{ json_expr }}) is null)
{%- endmacro %}

{#- A list, or an empty list when it is NULL (the element type is the list's). -#}
{% macro list_or_empty(list) -%}
    {{ return(adapter.dispatch('list_or_empty', 'orderlayer')(list)) }}
{%- endmacro %}
{% macro default__list_or_empty(list) -%}coalesce({{ list }}, []){%- endmacro %}
{% macro spark__list_or_empty(list) -%}coalesce({{ list }}, array()){%- endmacro %}

{#- A decimal text with the zeros after its cents dropped ('1250.000' → '1250.00'; '12.345' and other texts as they
    are), so the amount rules read a Decimal(16,3) or a DECIMAL cast to text as money. -#}
{% macro zeros_after_cents_dropped(expr) -%}
    {{ return(adapter.dispatch('zeros_after_cents_dropped', 'orderlayer')(expr)) }}
{%- endmacro %}
{% macro default__zeros_after_cents_dropped(expr) -%}regexp_replace({{ expr }}, '^(-?[0-9]+\.[0-9]{2})0+$', '\1'){%- endmacro %}
{#- Java regex: `$1` is the group, and \z (not $) is the end of the text, as RE2's $ is. -#}
{% macro spark__zeros_after_cents_dropped(expr) -%}regexp_replace({{ expr }}, '^(-?[0-9]+\.[0-9]{2})0+\z', '$1'){%- endmacro %}

{#- A text read as an integer as DuckDB's try_cast reads it: a number (decimals and exponent allowed) rounded half
    away from zero ('12.5' → 13, '1e3' → 1000); NULL when it is not a number or does not fit. -#}
{% macro try_integer(expr) -%}
    {{ return(adapter.dispatch('try_integer', 'orderlayer')(expr)) }}
{%- endmacro %}
{% macro default__try_integer(expr) -%}try_cast({{ expr }} as integer){%- endmacro %}
{#- Spark's try_cast truncates ('12.5' → 12): read the exact decimal, then round it. -#}
{% macro spark__try_integer(expr) -%}try_cast(round(try_cast(trim({{ expr }}) as decimal(38, 10))) as integer){%- endmacro %}

{#- A1: an exact DECIMAL (a JSON number read as DECIMAL(38,10)) → DECIMAL(18,2), NULL when a digit after the cents is
    not zero or it does not fit. -#}
{% macro decimal_to_amount(expr) -%}
    {{ return(adapter.dispatch('decimal_to_amount', 'orderlayer')(expr)) }}
{%- endmacro %}
{% macro default__decimal_to_amount(expr) -%}
    {{ major_units_to_amount("regexp_replace(cast(" ~ expr ~ " as varchar), '^(-?[0-9]+\\.[0-9]{2})0+$', '\\1')") }}
{%- endmacro %}
{#- By value, not through text: Spark writes a DECIMAL's text from java.math.BigDecimal when it evaluates without
    generated code, and that writes a zero of scale 10 as 0E-10. -#}
{% macro spark__decimal_to_amount(expr) -%}
    case when {{ expr }} = round({{ expr }}, 2) then try_cast({{ expr }} as {{ money_type() }}) end
{%- endmacro %}
