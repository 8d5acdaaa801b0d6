{#- Landed JSON records. A record's fields are read once into a struct of a declared shape (a dict of field →
    'VARCHAR', a nested dict, or a one-element list of either); every leaf is read as text, whatever its JSON type,
    and typed by the rule macros downstream. -#}

{% macro parse_json_shape(record, shape) -%}
    {{ return(adapter.dispatch('parse_json_shape', 'orderlayer')(record, shape)) }}
{%- endmacro %}
{% macro default__parse_json_shape(record, shape) -%}from_json({{ record }}, '{{ tojson(shape) }}'){%- endmacro %}
{#- Spark's from_json takes a DDL schema; a string leaf keeps any JSON value's text (objects and lists as JSON), as
    DuckDB's VARCHAR leaf does, but prints a float the way Java prints a double: each leaf is rewritten in DuckDB's
    form (spark_json_number_text), over the parsed record bound once as p__. -#}
{% macro spark__parse_json_shape(record, shape) -%}
    element_at(transform(array(from_json({{ record }}, '{{ spark_shape_ddl(shape) }}')), p__ -> {{ spark_json_leaves('p__', shape) }}), 1)
{%- endmacro %}

{#- `expr` (of `shape`) with every text leaf passed through spark_json_number_text; a NULL object stays NULL. -#}
{% macro spark_json_leaves(expr, shape, depth=0) -%}
    {%- if shape is mapping -%}
        case when {{ expr }} is not null then named_struct(
            {%- for name in shape %}'{{ name }}', {{ spark_json_leaves(expr ~ '.`' ~ name ~ '`', shape[name], depth) }}{{ ', ' if not loop.last }}{% endfor -%}
        ) end
    {%- elif shape is sequence and shape is not string -%}
        transform({{ expr }}, e{{ depth }}__ -> {{ spark_json_leaves('e' ~ depth ~ '__', shape[0], depth + 1) }})
    {%- else -%}
        {{ spark_json_number_text(expr) }}
    {%- endif -%}
{%- endmacro %}

{#- A JSON float's text as DuckDB writes it, from the text Spark's JSON readers give: Java prints a double below
    10^-3 or from 10^7 on as 1.23456789E7, DuckDB plain from 10^-4 up to 10^16 (12345678.9, 10000000.0) and beyond
    as 1.5e+16 / 1e-05. Any other text is itself (a JSON string that reads like Java's form is taken for a number). -#}
{% macro spark_json_number_text(t) -%}
    case when {{ t }} rlike '^-?[0-9]\.[0-9]+E-?[0-9]+$' then
        case when cast(regexp_extract({{ t }}, 'E(-?[0-9]+)$', 1) as int) between -4 and 15
             then regexp_replace(regexp_replace(cast(cast({{ t }} as decimal(38, 22)) as string), '0+$', ''), '\.$', '.0')
             else concat(regexp_replace(regexp_extract({{ t }}, '^(-?[0-9]\.[0-9]+)E', 1), '\.0$', ''), 'e',
                         case when {{ t }} like '%E-%' then '-' else '+' end, format_string('%02d', cast(regexp_extract({{ t }}, '([0-9]+)$', 1) as int)))
        end
    else {{ t }} end
{%- endmacro %}

{#- A shape as a Spark DDL type: struct<`a`: string, `b`: array<struct<…>>> (a struct at the top too: from_json
    reads `a: string` there as a table schema, which has no colons). -#}
{% macro spark_shape_ddl(shape) -%}
    {%- if shape is mapping -%}
        {%- set fields = [] -%}
        {%- for name, sub in shape.items() -%}
            {%- do fields.append('`' ~ name ~ '`: ' ~ spark_shape_ddl(sub)) -%}
        {%- endfor -%}
        struct<{{ fields | join(', ') }}>
    {%- elif shape is sequence and shape is not string -%}
        array<{{ spark_shape_ddl(shape[0]) }}>
    {%- elif shape | upper in ('VARCHAR', 'TEXT', 'STRING') -%}
        string
    {%- else -%}
        {{ exceptions.raise_compiler_error("parse_json_shape: leaf type '" ~ shape ~ "' is not text; read every field as VARCHAR and type it with the rule macros") }}
    {%- endif -%}
{%- endmacro %}

{#- The text at `path` (a list of keys) in a JSON document; a non-text value as its JSON text; NULL when absent. -#}
{% macro json_text(record, path) -%}
    {{ return(adapter.dispatch('json_text', 'orderlayer')(record, path)) }}
{%- endmacro %}
{% macro default__json_text(record, path) -%}
    {{ record }}{% for key in path %} {{ '->>' if loop.last else '->' }} '{{ key }}'{% endfor %}
{%- endmacro %}
{#- The path is a text constant with quotes in it ($['a']['b']): written with text_literal. A float prints as DuckDB's. -#}
{% macro spark__json_text(record, path) -%}
    {%- for key in path if "'" in key or ']' in key -%}
        {{ exceptions.raise_compiler_error("json_text: key " ~ key ~ " holds ' or ], which a Spark JSON path cannot") }}
    {%- endfor -%}
    {{ spark_json_number_text('get_json_object(' ~ record ~ ', ' ~ text_literal("$['" ~ (path | join("']['")) ~ "']") ~ ')') }}
{%- endmacro %}

{#- True when `record` is well-formed JSON (a repeated key allowed), NULL for NULL. -#}
{% macro json_is_valid(record) -%}
    {{ return(adapter.dispatch('json_is_valid', 'orderlayer')(record)) }}
{%- endmacro %}
{% macro default__json_is_valid(record) -%}json_valid({{ record }}){%- endmacro %}
{#- Spark's JSON readers (from_json, try_parse_json) ignore text after the first value: the record is read as the one
    element of a list, which Jackson reads to its closing bracket (NULL when it cannot). try_parse_json would also
    refuse a repeated key and a record over 16 MiB, which DuckDB takes. -#}
{% macro spark__json_is_valid(record) -%}
    case when {{ record }} is not null then coalesce(json_array_length(concat('[', {{ record }}, ']')) = 1, false) end
{%- endmacro %}
