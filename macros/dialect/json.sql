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

{#- A shape as a Spark DDL type: struct<`a`: string, `b`: array<struct<…>>>. -#}
{% macro spark_shape_ddl(shape, top=true) -%}
    {%- if shape is mapping -%}
        {%- set fields = [] -%}
        {%- for name, sub in shape.items() -%}
            {%- do fields.append('`' ~ name ~ '`: ' ~ spark_shape_ddl(sub, false)) -%}
        {%- endfor -%}
        {{- fields | join(', ') if top else 'struct<' ~ (fields | join(', ')) ~ '>' -}}
    {%- elif shape is sequence and shape is not string -%}
        array<{{ spark_shape_ddl(shape[0], false) }}>
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
{% macro spark__json_text(record, path) -%}
    get_json_object({{ record }}, '${% for key in path %}[''{{ key }}'']{% endfor %}')
{%- endmacro %}

{#- True when `record` is well-formed JSON. -#}
{% macro json_is_valid(record) -%}
    {{ return(adapter.dispatch('json_is_valid', 'orderlayer')(record)) }}
{%- endmacro %}
{% macro default__json_is_valid(record) -%}json_valid({{ record }}){%- endmacro %}
{% macro spark__json_is_valid(record) -%}(try_parse_json({{ record }}) is not null){%- endmacro %}
