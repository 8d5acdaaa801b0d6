{#- Landed JSON records. A record's fields are read once into a struct of a declared shape (a dict of field →
    'VARCHAR', a nested dict, or a one-element list of either); every leaf is read as text, whatever its JSON type,
    and typed by the rule macros downstream. -#}

{% macro parse_json_shape(record, shape) -%}
    {{ return(adapter.dispatch('parse_json_shape', 'orderlayer')(record, shape)) }}
{%- endmacro %}
{% macro default__parse_json_shape(record, shape) -%}from_json({{ record }}, '{{ tojson(shape) }}'){%- endmacro %}
{#- Spark's from_json takes a DDL schema; a string leaf keeps any JSON value's text (numbers as written, objects
    and lists as JSON), as DuckDB's VARCHAR leaf does. -#}
{% macro spark__parse_json_shape(record, shape) -%}from_json({{ record }}, '{{ spark_shape_ddl(shape) }}'){%- endmacro %}

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
{#- The path is a text constant with quotes in it ($['a']['b']): written with text_literal. -#}
{% macro spark__json_text(record, path) -%}
    {%- for key in path if "'" in key or ']' in key -%}
        {{ exceptions.raise_compiler_error("json_text: key " ~ key ~ " holds ' or ], which a Spark JSON path cannot") }}
    {%- endfor -%}
    get_json_object({{ record }}, {{ text_literal("$['" ~ (path | join("']['")) ~ "']") }})
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
