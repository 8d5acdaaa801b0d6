{#- Vocabulary the Shopify, TikTok Shop and Youzan staging models need beyond macros/dialect/ (to be
    folded in by the lead). `default__` is DuckDB's spelling (the meaning), `spark__` Spark SQL's. -#}

{#- The fields of `shape` read from a landed JSON record, every leaf as text, a JSON number written as DuckDB
    writes a double (12.30 → '12.3', 1E10 → '10000000000.0', 1E16 → '1e+16'). parse_json_shape's Spark version
    writes numbers as Java does (1E10 → '1.0E10', 19999999999.99 → '1.999999999999E10'), which the amount rules
    then reject: every leaf is rewritten here. -#}
{% macro json_record_fields(record, shape) -%}
    {{ return(adapter.dispatch('json_record_fields', 'orderlayer')(record, shape)) }}
{%- endmacro %}
{% macro default__json_record_fields(record, shape) -%}{{ parse_json_shape(record, shape) }}{%- endmacro %}
{#- The record is parsed once and bound to a lambda variable, so each leaf does not parse it again. -#}
{% macro spark__json_record_fields(record, shape) -%}
    transform(array(from_json({{ record }}, '{{ spark_record_type(shape) }}')),
              p__ -> {{ spark_shape_with_duckdb_numbers('p__', shape) }})[0]
{%- endmacro %}

{#- A shape as a Spark DDL type, a struct at the top too (struct<`a`: string, `b`: array<struct<…>>>). The same as
    macros/dialect/json.sql's spark_shape_ddl once that reads a top-level struct as one (on main it writes the
    top-level fields without struct<>, which from_json rejects for nested shapes). -#}
{% macro spark_record_type(shape) -%}
    {%- if shape is mapping -%}
        {%- set fields = [] -%}
        {%- for name, sub in shape.items() -%}
            {%- do fields.append('`' ~ name ~ '`: ' ~ spark_record_type(sub)) -%}
        {%- endfor -%}
        struct<{{ fields | join(', ') }}>
    {%- elif shape is sequence and shape is not string -%}
        array<{{ spark_record_type(shape[0]) }}>
    {%- elif shape | upper in ('VARCHAR', 'TEXT', 'STRING') -%}
        string
    {%- else -%}
        {{ exceptions.raise_compiler_error("json_record_fields: leaf type '" ~ shape ~ "' is not text") }}
    {%- endif -%}
{%- endmacro %}

{#- `expr` (a value of the Spark type of `shape`) with every text leaf passed through spark_number_text_as_duckdb. -#}
{% macro spark_shape_with_duckdb_numbers(expr, shape, depth=0) -%}
    {%- if shape is mapping -%}
    case when {{ expr }} is not null then named_struct(
        {%- for name, sub in shape.items() %}'{{ name }}', {{ spark_shape_with_duckdb_numbers(expr ~ '.`' ~ name ~ '`', sub, depth + 1) }}{{ ', ' if not loop.last }}{% endfor -%}
    ) end
    {%- elif shape is sequence and shape is not string -%}
    transform({{ expr }}, e{{ depth }}__ -> {{ spark_shape_with_duckdb_numbers('e' ~ depth ~ '__', shape[0], depth + 1) }})
    {%- else -%}
    {{ spark_number_text_as_duckdb(expr) }}
    {%- endif -%}
{%- endmacro %}

{#- A JSON leaf's text as DuckDB writes it: Java's scientific notation of a double (d.dddE±n, used below 1e-3 and
    from 1e7 on) becomes DuckDB's (plain from 1e-4 up to 1e16, else 1e+16 / 1.5e-05); any other text is kept. -#}
{% macro spark_number_text_as_duckdb(expr) -%}
    case when {{ expr }} rlike '^-?[0-9]\.[0-9]+E-?[0-9]+\z' then
        case when cast(substring_index({{ expr }}, 'E', -1) as int) between -4 and 15
             then regexp_replace(regexp_replace(cast(cast({{ expr }} as decimal(38, 20)) as string), '0+\z', ''), '\.\z', '.0')
             else concat(regexp_replace(substring_index({{ expr }}, 'E', 1), '\.0\z', ''), 'e',
                         case when substring_index({{ expr }}, 'E', -1) like '-%' then '-' else '+' end,
                         lpad(cast(abs(cast(substring_index({{ expr }}, 'E', -1) as int)) as string), 2, '0'))
        end
    else {{ expr }} end
{%- endmacro %}

{#- The type name of a shape leaf that keeps a nested JSON value as a document (parsed again later): DuckDB's JSON;
    Spark's text leaf keeps a value's JSON text. -#}
{% macro json_document_leaf() -%}
    {{ return(adapter.dispatch('json_document_leaf', 'orderlayer')()) }}
{%- endmacro %}
{% macro default__json_document_leaf() -%}{{ return('JSON') }}{%- endmacro %}
{% macro spark__json_document_leaf() -%}{{ return('VARCHAR') }}{%- endmacro %}

{#- A JSON document (a json_document_leaf) that is a list of `shape` objects or one such object, as a list of them;
    NULL for any other JSON value. -#}
{% macro json_one_or_many(document, shape) -%}
    {{ return(adapter.dispatch('json_one_or_many', 'orderlayer')(document, shape)) }}
{%- endmacro %}
{% macro default__json_one_or_many(document, shape) -%}
    case json_type({{ document }})
        when 'ARRAY' then from_json({{ document }}, '[{{ tojson(shape) }}]')
        when 'OBJECT' then [from_json({{ document }}, '{{ tojson(shape) }}')]
    end
{%- endmacro %}
{% macro spark__json_one_or_many(document, shape) -%}
    case substr(ltrim({{ document }}), 1, 1)
        when '[' then {{ spark__json_record_fields(document, [shape]) }}
        when '{' then array({{ spark__json_record_fields(document, shape) }})
    end
{%- endmacro %}

{#- A text read as a whole number the way DuckDB's try_cast(… as integer) reads it: surrounding blanks ignored, a
    decimal or exponent form rounded half away from zero ('3.5' → 4, '1e2' → 100), NULL when not a number or out of
    the integer range. (Spark's try_cast truncates: '3.5' → 3.) DuckDB also reads '0x10' and '1_000'; Spark does not. -#}
{% macro text_to_integer(expr) -%}
    {{ return(adapter.dispatch('text_to_integer', 'orderlayer')(expr)) }}
{%- endmacro %}
{% macro default__text_to_integer(expr) -%}try_cast({{ expr }} as integer){%- endmacro %}
{% macro spark__text_to_integer(expr) -%}try_cast(round(try_cast(trim({{ expr }}) as decimal(38, 10)), 0) as int){%- endmacro %}

{#- A text read as a boolean the way DuckDB's try_cast(… as boolean) reads it: true / t / yes / y / 1 and false / f /
    no / n / 0 in any case, NULL otherwise (blanks included). -#}
{% macro text_to_boolean(expr) -%}
    {{ return(adapter.dispatch('text_to_boolean', 'orderlayer')(expr)) }}
{%- endmacro %}
{% macro default__text_to_boolean(expr) -%}try_cast({{ expr }} as boolean){%- endmacro %}
{% macro spark__text_to_boolean(expr) -%}
    case when lower({{ expr }}) in ('true', 't', 'yes', 'y', '1') then true
         when lower({{ expr }}) in ('false', 'f', 'no', 'n', '0') then false end
{%- endmacro %}



{#- list_zip_as (macros/dialect/lists.sql) until its Spark version reads lists that are columns: arrays_zip names a
    field after a list that is a column (not `0`, `1`…) and gives NULL when a list is; coalesce() leaves each list
    unnamed and a NULL one empty (the dialect branch's fix, here for the Spark proof; the lead folds it back). -#}
{% macro zipped_lists(lists, names) -%}
    {{ return(adapter.dispatch('zipped_lists', 'orderlayer')(lists, names)) }}
{%- endmacro %}
{% macro default__zipped_lists(lists, names) -%}{{ default__list_zip_as(lists, names) }}{%- endmacro %}
{% macro spark__zipped_lists(lists, names) -%}
    transform(arrays_zip({% for l in lists %}coalesce({{ l }}, array()){{ ', ' if not loop.last }}{% endfor %}), z__ -> named_struct(
        {%- for name in names %}'{{ name }}', z__.`{{ loop.index0 }}`{{ ', ' if not loop.last }}{% endfor -%} ))
{%- endmacro %}
