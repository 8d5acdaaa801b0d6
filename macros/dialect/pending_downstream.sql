{#- Constructs the intermediate models, the marts, quarantine and their rule macros need beyond the dialect
    vocabulary (macros/dialect/README.md): `default__` is DuckDB's spelling (its meaning is the reference), `spark__`
    Spark SQL's. -#}

{#- A tuple of expressions compared left to right (an ordering for min_by/max_by). -#}
{% macro ordering_tuple(exprs) -%}
    {{ return(adapter.dispatch('ordering_tuple', 'orderlayer')(exprs)) }}
{%- endmacro %}
{% macro default__ordering_tuple(exprs) -%}({{ exprs | join(', ') }}){%- endmacro %}
{% macro spark__ordering_tuple(exprs) -%}struct({{ exprs | join(', ') }}){%- endmacro %}



{#- `expr` with every character of `chars` removed from both ends. -#}
{% macro trim_chars(expr, chars) -%}
    {{ return(adapter.dispatch('trim_chars', 'orderlayer')(expr, chars)) }}
{%- endmacro %}
{% macro default__trim_chars(expr, chars) -%}trim({{ expr }}, {{ chars }}){%- endmacro %}
{#- Spark's two-argument trim() takes the characters first; btrim() takes them second. -#}
{% macro spark__trim_chars(expr, chars) -%}btrim({{ expr }}, {{ chars }}){%- endmacro %}

{#- The byte-order mark U+FEFF as a one-character text. -#}
{% macro byte_order_mark() -%}
    {{ return(adapter.dispatch('byte_order_mark', 'orderlayer')()) }}
{%- endmacro %}
{% macro default__byte_order_mark() -%}chr(65279){%- endmacro %}
{#- Spark's chr() takes the code modulo 256. -#}
{% macro spark__byte_order_mark() -%}decode(unhex('EFBBBF'), 'UTF-8'){%- endmacro %}

{#- format_text, NULL when any argument is NULL (DuckDB's format()); Spark's format_string writes 'null' instead. -#}
{% macro format_text_or_null(template, args) -%}
    {{ return(adapter.dispatch('format_text_or_null', 'orderlayer')(template, args)) }}
{%- endmacro %}
{% macro default__format_text_or_null(template, args) -%}{{ format_text(template, args) }}{%- endmacro %}
{% macro spark__format_text_or_null(template, args) -%}
    case when {% for a in args %}({{ a }}) is not null{{ ' and ' if not loop.last }}{% endfor %} then {{ format_text(template, args) }} end
{%- endmacro %}

{#- The text at a dotted JSON path ('a.b') of a JSON text; NULL when absent. -#}
{% macro json_path_text(record, dotted_path) -%}
    {{ return(adapter.dispatch('json_path_text', 'orderlayer')(record, dotted_path)) }}
{%- endmacro %}
{% macro default__json_path_text(record, dotted_path) -%}
    json_extract_string({{ record }}, '{{ "$." ~ dotted_path | replace("'", "''") }}')
{%- endmacro %}
{% macro spark__json_path_text(record, dotted_path) -%}
    get_json_object({{ record }}, '{{ "$." ~ dotted_path | replace("'", "''") }}')
{%- endmacro %}

{#- Seconds from instant `start` to instant `end`, fractions included, as a double. -#}
{% macro seconds_between(start, end) -%}
    {{ return(adapter.dispatch('seconds_between', 'orderlayer')(start, end)) }}
{%- endmacro %}
{% macro default__seconds_between(start, end) -%}epoch({{ end }} - {{ start }}){%- endmacro %}
{#- DuckDB divides the interval's microseconds by 10^6 as a double: the same steps give the same double. -#}
{% macro spark__seconds_between(start, end) -%}
    (cast(unix_micros({{ end }}) - unix_micros({{ start }}) as double) / 1000000)
{%- endmacro %}

{#- A relation of one row per day from `first_day` to `last_day` (ISO date texts), in the date column `column`. -#}
{% macro day_series(first_day, last_day, column) -%}
    {{ return(adapter.dispatch('day_series', 'orderlayer')(first_day, last_day, column)) }}
{%- endmacro %}
{% macro default__day_series(first_day, last_day, column) -%}
    select cast(d as date) as {{ column }}
    from generate_series(date '{{ first_day }}', date '{{ last_day }}', interval 1 day) as t(d)
{%- endmacro %}
{% macro spark__day_series(first_day, last_day, column) -%}
    select explode(sequence(date '{{ first_day }}', date '{{ last_day }}', interval 1 day)) as {{ column }}
{%- endmacro %}

{#- The rows of several queries stacked by column name (DuckDB's UNION ALL BY NAME): the columns of the first, then
    each column a later one adds, NULL where a query lacks one. `parts` are [relation, query] pairs: the query
    selects the columns of the relation (Spark needs their names before it runs; its column order may differ). -#}
{% macro union_by_name(parts) -%}
    {{ return(adapter.dispatch('union_by_name', 'orderlayer')(parts)) }}
{%- endmacro %}
{% macro default__union_by_name(parts) -%}
    {%- for relation, query in parts %}
    {{ query }}
    {%- if not loop.last %}
    union all by name
    {%- endif %}
    {%- endfor %}
{%- endmacro %}
{% macro spark__union_by_name(parts) -%}
    {%- set columns = columns_by_name(parts | map('first') | list) -%}
    {%- for relation, query in parts %}
    {%- set own = columns_of(relation) | map(attribute='name') | map('lower') | list %}
    select
        {%- for name, dtype in columns %}
        {{ ('`' ~ name ~ '`') if name in own else 'cast(null as ' ~ dtype ~ ')' }} as `{{ name }}`{{ ',' if not loop.last }}
        {%- endfor %}
    from ({{ query }}) as by_name_{{ loop.index }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}

{#- A relation's columns (name, data_type) as the warehouse has them; empty while dbt parses. -#}
{% macro columns_of(relation) -%}
    {{ return(adapter.get_columns_in_relation(relation) if execute else []) }}
{%- endmacro %}

{#- (name, type) of the columns of `relations` in UNION ALL BY NAME order: the first's, then each new one. -#}
{% macro columns_by_name(relations) -%}
    {%- set names = [] -%}
    {%- set columns = [] -%}
    {%- for relation in relations -%}
        {%- for column in columns_of(relation) if column.name | lower not in names -%}
            {%- do names.append(column.name | lower) -%}
            {%- do columns.append((column.name | lower, column.data_type)) -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(columns) }}
{%- endmacro %}

{#- The select list `*` with `exclude` (names) left out and the columns of `replace` (name → expression) computed
    in place (DuckDB's `* exclude (…) replace (…)`). What `*` stands for: the columns of `relations` (by name, as
    union_by_name stacks them), then `extra` (names); `alias` qualifies them. Spark has no REPLACE: there the list
    is written out, in the same order. -#}
{% macro star_replace(replace, relations, extra=[], exclude=[], alias=none) -%}
    {{ return(adapter.dispatch('star_replace', 'orderlayer')(replace, relations, extra, exclude, alias)) }}
{%- endmacro %}
{% macro default__star_replace(replace, relations, extra=[], exclude=[], alias=none) -%}
    {{ alias ~ '.' if alias else '' }}*{% if exclude %} exclude ({{ exclude | join(', ') }}){% endif %} replace (
        {%- for name, expr in replace.items() %}{{ expr }} as {{ name }}{{ ', ' if not loop.last }}{% endfor -%}
    )
{%- endmacro %}
{% macro spark__star_replace(replace, relations, extra=[], exclude=[], alias=none) -%}
    {%- set names = (columns_by_name(relations) | map('first') | list) + extra -%}
    {%- for name in names if name not in exclude %}
        {{ (replace[name] ~ ' as `' ~ name ~ '`') if name in replace else ((alias ~ '.' if alias else '') ~ '`' ~ name ~ '`') }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{#- An instant as text 'YYYY-MM-DDTHH:MM:SSZ' (UTC): instant_iso_text, whose spark__ pattern quotes letters with
    '' inside a SQL literal, which Spark reads as two quote characters under spark.sql.parser.escapedStringLiterals. -#}
{% macro iso_instant_text(ts) -%}
    {{ return(adapter.dispatch('iso_instant_text', 'orderlayer')(ts)) }}
{%- endmacro %}
{% macro default__iso_instant_text(ts) -%}{{ instant_iso_text(ts) }}{%- endmacro %}
{% macro spark__iso_instant_text(ts) -%}
    concat(date_format({{ ts }}, 'yyyy-MM-dd'), 'T', date_format({{ ts }}, 'HH:mm:ss'), 'Z')
{%- endmacro %}
