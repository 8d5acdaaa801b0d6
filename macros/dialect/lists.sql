{#- Lists. `var` names the lambda variable, `expr`/`cond` are SQL expressions in it:
    {{ list_map('r.items', 'i', 'i.sku_id') }}. The meaning is DuckDB's list functions'. -#}

{#- `expr` of every element, in order (NULL list → NULL). -#}
{% macro list_map(list, var, expr) -%}
    {{ return(adapter.dispatch('list_map', 'orderlayer')(list, var, expr)) }}
{%- endmacro %}
{% macro default__list_map(list, var, expr) -%}list_transform({{ list }}, lambda {{ var }}: {{ expr }}){%- endmacro %}
{% macro spark__list_map(list, var, expr) -%}transform({{ list }}, {{ var }} -> {{ expr }}){%- endmacro %}

{#- The elements for which `cond` is true, in order. -#}
{% macro list_where(list, var, cond) -%}
    {{ return(adapter.dispatch('list_where', 'orderlayer')(list, var, cond)) }}
{%- endmacro %}
{% macro default__list_where(list, var, cond) -%}list_filter({{ list }}, lambda {{ var }}: {{ cond }}){%- endmacro %}
{% macro spark__list_where(list, var, cond) -%}filter({{ list }}, {{ var }} -> {{ cond }}){%- endmacro %}

{#- True when any of a list of booleans is true, false when none is, NULL for an empty or NULL list (NULL elements
    are skipped): DuckDB's list_bool_or. -#}
{% macro list_any(list) -%}
    {{ return(adapter.dispatch('list_any', 'orderlayer')(list)) }}
{%- endmacro %}
{% macro default__list_any(list) -%}list_bool_or({{ list }}){%- endmacro %}
{% macro spark__list_any(list) -%}array_max(filter({{ list }}, x__ -> x__ is not null)){%- endmacro %}

{#- True when every non-NULL element of a list of booleans is true; NULL for an empty or NULL list. -#}
{% macro list_every(list) -%}
    {{ return(adapter.dispatch('list_every', 'orderlayer')(list)) }}
{%- endmacro %}
{% macro default__list_every(list) -%}list_bool_and({{ list }}){%- endmacro %}
{% macro spark__list_every(list) -%}array_min(filter({{ list }}, x__ -> x__ is not null)){%- endmacro %}

{#- The sum of the non-NULL elements of a list of numbers; NULL for an empty or NULL list. -#}
{% macro list_total(list) -%}
    {{ return(adapter.dispatch('list_total', 'orderlayer')(list)) }}
{%- endmacro %}
{% macro default__list_total(list) -%}list_sum({{ list }}){%- endmacro %}
{#- Spark's aggregate() needs an accumulator of one type: decimal(38, 6) holds every money value and count exactly. -#}
{% macro spark__list_total(list) -%}
    case when size(filter({{ list }}, x__ -> x__ is not null)) > 0
         then aggregate(filter({{ list }}, x__ -> x__ is not null), cast(0 as decimal(38, 6)), (a__, x__) -> a__ + x__) end
{%- endmacro %}

{#- The largest / smallest non-NULL element; NULL for an empty or NULL list. -#}
{% macro list_largest(list) -%}
    {{ return(adapter.dispatch('list_largest', 'orderlayer')(list)) }}
{%- endmacro %}
{% macro default__list_largest(list) -%}list_max({{ list }}){%- endmacro %}
{% macro spark__list_largest(list) -%}array_max({{ list }}){%- endmacro %}

{% macro list_smallest(list) -%}
    {{ return(adapter.dispatch('list_smallest', 'orderlayer')(list)) }}
{%- endmacro %}
{% macro default__list_smallest(list) -%}list_min({{ list }}){%- endmacro %}
{% macro spark__list_smallest(list) -%}array_min({{ list }}){%- endmacro %}

{#- The element at 1-based position `n` (negative: from the end); NULL when there is none. -#}
{% macro list_at(list, n) -%}
    {{ return(adapter.dispatch('list_at', 'orderlayer')(list, n)) }}
{%- endmacro %}
{% macro default__list_at(list, n) -%}({{ list }})[{{ n }}]{%- endmacro %}
{#- try_element_at raises for position 0, which DuckDB answers with NULL. -#}
{% macro spark__list_at(list, n) -%}try_element_at({{ list }}, nullif({{ n }}, 0)){%- endmacro %}

{#- The number of elements (NULL list → NULL). -#}
{% macro list_size(list) -%}
    {{ return(adapter.dispatch('list_size', 'orderlayer')(list)) }}
{%- endmacro %}
{% macro default__list_size(list) -%}len({{ list }}){%- endmacro %}
{#- size() of a NULL array is -1 (legacy sizeOfNull) unless told otherwise: NULL in, NULL out. -#}
{% macro spark__list_size(list) -%}case when {{ list }} is not null then size({{ list }}) end{%- endmacro %}

{#- A list of lists made one list (NULL inner lists skipped). -#}
{% macro list_flatten(list) -%}
    {{ return(adapter.dispatch('list_flatten', 'orderlayer')(list)) }}
{%- endmacro %}
{% macro default__list_flatten(list) -%}flatten({{ list }}){%- endmacro %}
{#- Spark's flatten is NULL when any inner list is. -#}
{% macro spark__list_flatten(list) -%}flatten(filter({{ list }}, x__ -> x__ is not null)){%- endmacro %}

{#- The distinct non-NULL elements in ascending order (DuckDB's list_sort(list_distinct(…))). -#}
{% macro list_distinct_sorted(list) -%}
    {{ return(adapter.dispatch('list_distinct_sorted', 'orderlayer')(list)) }}
{%- endmacro %}
{% macro default__list_distinct_sorted(list) -%}list_sort(list_distinct({{ list }})){%- endmacro %}
{% macro spark__list_distinct_sorted(list) -%}array_sort(array_distinct(filter({{ list }}, x__ -> x__ is not null))){%- endmacro %}

{#- The elements in ascending order, NULLs last. -#}
{% macro list_sorted(list) -%}
    {{ return(adapter.dispatch('list_sorted', 'orderlayer')(list)) }}
{%- endmacro %}
{% macro default__list_sorted(list) -%}list_sort({{ list }}){%- endmacro %}
{% macro spark__list_sorted(list) -%}array_sort({{ list }}){%- endmacro %}

{#- Two lists one after the other (a NULL list counts as empty). -#}
{% macro list_append(first, second) -%}
    {{ return(adapter.dispatch('list_append', 'orderlayer')(first, second)) }}
{%- endmacro %}
{% macro default__list_append(first, second) -%}list_concat({{ first }}, {{ second }}){%- endmacro %}
{% macro spark__list_append(first, second) -%}concat(coalesce({{ first }}, array()), coalesce({{ second }}, array())){%- endmacro %}

{#- True when the list holds `value`, false when not (NULL elements never match); NULL for a NULL list or value. -#}
{% macro list_has(list, value) -%}
    {{ return(adapter.dispatch('list_has', 'orderlayer')(list, value)) }}
{%- endmacro %}
{% macro default__list_has(list, value) -%}list_contains({{ list }}, {{ value }}){%- endmacro %}
{#- array_contains is NULL when the list holds a NULL and not the value. -#}
{% macro spark__list_has(list, value) -%}
    case when {{ list }} is not null and {{ value }} is not null then coalesce(array_contains({{ list }}, {{ value }}), false) end
{%- endmacro %}

{#- The 1-based position of the first element not distinct from `value` (a NULL value finds a NULL element), NULL
    when absent. -#}
{% macro list_position_of(list, value) -%}
    {{ return(adapter.dispatch('list_position_of', 'orderlayer')(list, value)) }}
{%- endmacro %}
{% macro default__list_position_of(list, value) -%}list_position({{ list }}, {{ value }}){%- endmacro %}
{% macro spark__list_position_of(list, value) -%}nullif(array_position(transform({{ list }}, x__ -> x__ <=> ({{ value }})), true), 0){%- endmacro %}

{#- The elements joined by `sep` (NULL elements skipped). -#}
{% macro list_join(list, sep) -%}
    {{ return(adapter.dispatch('list_join', 'orderlayer')(list, sep)) }}
{%- endmacro %}
{% macro default__list_join(list, sep) -%}array_to_string({{ list }}, {{ sep }}){%- endmacro %}
{% macro spark__list_join(list, sep) -%}array_join({{ list }}, {{ sep }}){%- endmacro %}

{#- Lists zipped element by element into a list of structs with fields `names` (shorter lists padded with NULL, a NULL
    list taken as empty). -#}
{% macro list_zip_as(lists, names) -%}
    {{ return(adapter.dispatch('list_zip_as', 'orderlayer')(lists, names)) }}
{%- endmacro %}
{% macro default__list_zip_as(lists, names) -%}
    list_transform(list_zip({{ lists | join(', ') }}), lambda z__: {
        {%- for name in names %}'{{ name }}': z__[{{ loop.index }}]{{ ', ' if not loop.last }}{% endfor -%} })
{%- endmacro %}
{#- arrays_zip names a field after its list when that is a column (else by position) and is NULL when a list is:
    coalesce() makes each list unnamed and a NULL one empty. -#}
{% macro spark__list_zip_as(lists, names) -%}
    transform(arrays_zip({% for l in lists %}coalesce({{ l }}, array()){{ ', ' if not loop.last }}{% endfor %}), z__ -> named_struct(
        {%- for name in names %}'{{ name }}', z__.`{{ loop.index0 }}`{{ ', ' if not loop.last }}{% endfor -%} ))
{%- endmacro %}

{#- An empty list of `type`. -#}
{% macro empty_list(type) -%}
    {{ return(adapter.dispatch('empty_list', 'orderlayer')(type)) }}
{%- endmacro %}
{% macro default__empty_list(type) -%}cast([] as {{ type }}[]){%- endmacro %}
{% macro spark__empty_list(type) -%}cast(array() as array<{{ type }}>){%- endmacro %}

{#- A list of the given SQL expressions. -#}
{% macro list_of(items) -%}
    {{ return(adapter.dispatch('list_of', 'orderlayer')(items)) }}
{%- endmacro %}
{% macro default__list_of(items) -%}[{{ items | join(', ') }}]{%- endmacro %}
{% macro spark__list_of(items) -%}array({{ items | join(', ') }}){%- endmacro %}

{#- The largest `value` (an expression in `var`) over the elements of `list` for which `where` (an expression in
    `var`) holds; NULL when none does. -#}
{% macro list_max_of(list, var, value, where=none) -%}
    {%- set kept = list_where(list, var, where) if where is not none else list -%}
    {{ list_largest(list_map(kept, var, value)) }}
{%- endmacro %}

{#- `value` (an expression in `var`) of the first element of `list` for which `where` (an expression in `var`)
    holds; NULL when none does. -#}
{% macro list_first_of(list, var, value, where) -%}
    {{ list_at(list_map(list_where(list, var, where), var, value), 1) }}
{%- endmacro %}

{#- Rows from lists. A select-list item giving one row per element (none for an empty or NULL list). -#}
{% macro unnest_values(list) -%}
    {{ return(adapter.dispatch('unnest_values', 'orderlayer')(list)) }}
{%- endmacro %}
{% macro default__unnest_values(list) -%}unnest({{ list }}){%- endmacro %}
{% macro spark__unnest_values(list) -%}explode({{ list }}){%- endmacro %}

{#- A select-list item giving one row per element, as two columns: `value_col` and `index_col` (1-based position). -#}
{% macro unnest_with_index(list, index_col, value_col) -%}
    {{ return(adapter.dispatch('unnest_with_index', 'orderlayer')(list, index_col, value_col)) }}
{%- endmacro %}
{% macro default__unnest_with_index(list, index_col, value_col) -%}
    unnest({{ list }}) as {{ value_col }}, generate_subscripts({{ list }}, 1) as {{ index_col }}
{%- endmacro %}
{% macro spark__unnest_with_index(list, index_col, value_col) -%}
    inline(transform({{ list }}, (x__, i__) -> named_struct('{{ value_col }}', x__, '{{ index_col }}', i__ + 1)))
{%- endmacro %}

{#- A FROM-clause item after a relation: one row per element of `list` (an expression over that relation), named
    `alias`.`column`; a row whose list is empty or NULL is dropped. -#}
{% macro join_unnested(list, alias, column) -%}
    {{ return(adapter.dispatch('join_unnested', 'orderlayer')(list, alias, column)) }}
{%- endmacro %}
{% macro default__join_unnested(list, alias, column) -%}cross join unnest({{ list }}) as {{ alias }}({{ column }}){%- endmacro %}
{% macro spark__join_unnested(list, alias, column) -%}lateral view explode({{ list }}) {{ alias }} as {{ column }}{%- endmacro %}
