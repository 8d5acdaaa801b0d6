{#- List functions with lambdas, which each engine spells its own way (DuckDB `lambda x: …`, Spark `x -> …`):
    models call these, never the engine's functions (issue 16 adds the spark__ implementations). -#}

{#- The largest `value` (an expression in `var`) over the elements of `list` for which `where` (an expression in
    `var`) holds; NULL when none does. -#}
{% macro list_max_of(list, var, value, where=none) -%}
    {{ return(adapter.dispatch('list_max_of', 'orderlayer')(list, var, value, where)) }}
{%- endmacro %}

{% macro default__list_max_of(list, var, value, where) -%}
    list_max(list_transform(
        {%- if where is not none %}list_filter({{ list }}, lambda {{ var }}: {{ where }}){% else %}{{ list }}{% endif -%}
        , lambda {{ var }}: {{ value }}))
{%- endmacro %}

{#- `value` (an expression in `var`) of the first element of `list` for which `where` (an expression in `var`)
    holds; NULL when none does. -#}
{% macro list_first_of(list, var, value, where) -%}
    {{ return(adapter.dispatch('list_first_of', 'orderlayer')(list, var, value, where)) }}
{%- endmacro %}

{% macro default__list_first_of(list, var, value, where) -%}
    list_transform(list_filter({{ list }}, lambda {{ var }}: {{ where }}), lambda {{ var }}: {{ value }})[1]
{%- endmacro %}
