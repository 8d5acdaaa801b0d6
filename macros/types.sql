{#- Contract column types that differ by engine (issue 16 adds the spark__ versions: `string`, `timestamp`).
    Models cast with `cast(x as {{ text_type() }})`, never an engine's own type name. -#}

{% macro text_type() -%}
    {{ return(adapter.dispatch('text_type', 'orderlayer')()) }}
{%- endmacro %}

{% macro default__text_type() -%}varchar{%- endmacro %}

{#- An instant in UTC. -#}
{% macro instant_type() -%}
    {{ return(adapter.dispatch('instant_type', 'orderlayer')()) }}
{%- endmacro %}

{% macro default__instant_type() -%}timestamptz{%- endmacro %}
