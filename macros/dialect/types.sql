{#- Column types that differ by engine. Models cast with `cast(x as {{ text_type() }})`, never an engine's own type
    name. A contract's `data_type` cannot call these: dbt renders a schema file with `target` and `var` but no macros,
    and does not render a var's value from dbt_project.yml again, so it names the engine's type through `target.type`
    or a var the CLI passes per engine. -#}

{#- Text. -#}
{% macro text_type() -%}
    {{ return(adapter.dispatch('text_type', 'orderlayer')()) }}
{%- endmacro %}
{% macro default__text_type() -%}varchar{%- endmacro %}
{#- Spark's varchar needs a length and is checked on write: string is its unbounded text. -#}
{% macro spark__text_type() -%}string{%- endmacro %}

{#- An instant in UTC. Spark's timestamp is an instant too (shown in the session zone, which orderlayer sets to
    UTC); it has no TIMESTAMPTZ. -#}
{% macro instant_type() -%}
    {{ return(adapter.dispatch('instant_type', 'orderlayer')()) }}
{%- endmacro %}
{% macro default__instant_type() -%}timestamptz{%- endmacro %}
{% macro spark__instant_type() -%}timestamp{%- endmacro %}

{#- A landed JSON document (raw `_record`). Spark has no JSON type: the text is kept as it landed. -#}
{% macro json_type() -%}
    {{ return(adapter.dispatch('json_type', 'orderlayer')()) }}
{%- endmacro %}
{% macro default__json_type() -%}json{%- endmacro %}
{% macro spark__json_type() -%}string{%- endmacro %}

{#- A list of `type`. -#}
{% macro list_type(type) -%}
    {{ return(adapter.dispatch('list_type', 'orderlayer')(type)) }}
{%- endmacro %}
{% macro default__list_type(type) -%}{{ type }}[]{%- endmacro %}
{% macro spark__list_type(type) -%}array<{{ type }}>{%- endmacro %}
