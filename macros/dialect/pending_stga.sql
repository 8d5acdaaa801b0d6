{#- Vocabulary the Douyin, Taobao, JD and Pinduoduo staging needed (issue 16); the lead folds it into the dialect
    files. `default__` is DuckDB's spelling (its meaning is the reference), `spark__` Spark SQL's. -#}

{#- An integer type that holds the product of two amounts in cents exactly (DuckDB HUGEINT, 128-bit). -#}
{% macro exact_integer_type() -%}
    {{ return(adapter.dispatch('exact_integer_type', 'orderlayer')()) }}
{%- endmacro %}
{% macro default__exact_integer_type() -%}hugeint{%- endmacro %}
{#- Spark has no 128-bit integer: decimal(38, 0) holds the same whole numbers up to 10^38. -#}
{% macro spark__exact_integer_type() -%}decimal(38, 0){%- endmacro %}

{#- `dividend` divided by `divisor` (whole numbers of exact_integer_type()), the fraction dropped (toward zero). -#}
{% macro integer_quotient(dividend, divisor) -%}
    {{ return(adapter.dispatch('integer_quotient', 'orderlayer')(dividend, divisor)) }}
{%- endmacro %}
{% macro default__integer_quotient(dividend, divisor) -%}({{ dividend }}) // ({{ divisor }}){%- endmacro %}
{#- div truncates toward zero as DuckDB's // does on integers (its result is a bigint: a quotient of cents fits). -#}
{% macro spark__integer_quotient(dividend, divisor) -%}(({{ dividend }}) div ({{ divisor }})){%- endmacro %}

{#- A landed JSON record read into a struct of `shape` (as parse_json_shape), every number leaf with the text
    DuckDB gives it. Spark's from_json writes a JSON float as Java prints a double: 19999999999.99 reads
    '1.999999999999E10' and 0.0005 '5.0E-4', which the amount rules reject, where DuckDB reads '19999999999.99' and
    '0.0005'. Also, from_json takes a top-level schema as `struct<…>` or as `a string, …`, not the `a: string, …`
    spark__parse_json_shape writes (a parse error). (spark__parse_json_shape should do both; then this macro goes.) -#}
{% macro parse_json_record(record, shape) -%}
    {{ return(adapter.dispatch('parse_json_record', 'orderlayer')(record, shape)) }}
{%- endmacro %}
{% macro default__parse_json_record(record, shape) -%}{{ parse_json_shape(record, shape) }}{%- endmacro %}
{#- The parsed struct is bound once (a one-element array's lambda) and rebuilt with each leaf's text rewritten. -#}
{% macro spark__parse_json_record(record, shape) -%}
    try_element_at(transform(array(from_json({{ record }}, '{{ spark_shape_ddl(shape, false) }}')), p__ -> {{ json_leaves_as_duckdb('p__', shape, 0) }}), 1)
{%- endmacro %}

{#- `expr` (a struct, list or text of `shape`) with every text leaf through java_double_text_as_duckdb. -#}
{% macro json_leaves_as_duckdb(expr, shape, depth) -%}
    {%- if shape is mapping -%}
        case when {{ expr }} is not null then named_struct(
            {%- for name, sub in shape.items() %}'{{ name }}', {{ json_leaves_as_duckdb(expr ~ '.`' ~ name ~ '`', sub, depth) }}{{ ', ' if not loop.last }}{% endfor -%}
        ) end
    {%- elif shape is sequence and shape is not string -%}
        transform({{ expr }}, e{{ depth }}__ -> {{ json_leaves_as_duckdb('e' ~ depth ~ '__', shape[0], depth + 1) }})
    {%- else -%}
        {{ java_double_text_as_duckdb(expr) }}
    {%- endif -%}
{%- endmacro %}

{#- A double as Java prints it in E-notation (d.dddE±n: below 10^-3 or from 10^7) written as DuckDB writes the same
    double: plain from 10^-4 up to 10^16 ('10000000000.0', '0.0005'), else d.ddde±nn ('1e+16', '1.5e-05'). Any other
    text is returned as it is. Both print the shortest digits that read back as the double. -#}
{% macro java_double_text_as_duckdb(text) -%}
    case when {{ text }} like '%E%' and {{ text }} rlike '^-?[0-9]\.[0-9]+E-?[0-9]+\z' then
        case when cast(substring_index({{ text }}, 'E', -1) as int) between -4 and 15
             then regexp_replace(regexp_replace(cast(cast({{ text }} as decimal(38, 22)) as string), '0+\z', ''), '\.\z', '.0')
             else concat(regexp_replace(substring_index({{ text }}, 'E', 1), '\.0\z', ''), 'e',
                         case when substring_index({{ text }}, 'E', -1) like '-%' then '-' else '+' end,
                         lpad(replace(substring_index({{ text }}, 'E', -1), '-', ''), 2, '0'))
        end
    else {{ text }} end
{%- endmacro %}

{#- Lists zipped into structs named `names`, as list_zip_as. spark__list_zip_as reads arrays_zip's fields as `0`,
    `1`, …, but Spark names them after the lists when these are columns (`z.sku_pay_amounts`): FIELD_NOT_FOUND.
    Wrapping each list in coalesce() leaves it unnamed, so the fields are the positions. (Fold into list_zip_as.) -#}
{% macro zip_lists(lists, names) -%}
    {{ return(adapter.dispatch('zip_lists', 'orderlayer')(lists, names)) }}
{%- endmacro %}
{% macro default__zip_lists(lists, names) -%}{{ list_zip_as(lists, names) }}{%- endmacro %}
{% macro spark__zip_lists(lists, names) -%}
    {%- set unnamed = [] -%}
    {%- for l in lists -%}{%- do unnamed.append('coalesce(' ~ l ~ ')') -%}{%- endfor -%}
    {{ list_zip_as(unnamed, names) }}
{%- endmacro %}

{#- Seeds on Spark (`method: session`). dbt-spark's seed load binds each CSV value as '<value>' without escaping,
    so a value with an apostrophe ("the channel's default") breaks the insert; with escapedStringLiterals (set by
    orderlayer) a backslash cannot escape it either. Here each value is written as a literal Spark reads back
    exactly: a text without ' in single quotes, else its UTF-8 bytes as a binary literal cast to string. -#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
        {%- set sql -%}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
                ({%- for col_name in agate_table.column_names -%}
                    {%- set type = column_override.get(col_name, adapter.convert_type(agate_table, loop.index0)) -%}
                    cast({{ spark_seed_literal(row[loop.index0]) }} as {{ type }}){{ ', ' if not loop.last }}
                {%- endfor -%}){{ ',' if not loop.last }}
            {% endfor %}
        {%- endset -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- if loop.first -%}{%- do statements.append(sql) -%}{%- endif -%}
    {%- endfor -%}
    {{ return(statements[0]) }}
{% endmacro %}

{#- One CSV value (as agate typed it) as a Spark SQL literal. -#}
{% macro spark_seed_literal(value) -%}
    {%- if value is none -%}null
    {%- elif value is sameas true or value is sameas false -%}{{ 'true' if value else 'false' }}
    {%- elif value is number -%}{{ value }}
    {%- else -%}
        {%- set text = value.isoformat() if value.isoformat is defined else value | string -%}
        {%- if "'" not in text -%}'{{ text }}'
        {%- else -%}cast(X'{{ text.encode('utf-8').hex() }}' as string)
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- The integer a text reads as under DuckDB's cast (try_cast(x as integer)): surrounding whitespace ignored, a
    decimal or exponent form rounded half away from zero ('1.5' → 2, '12.5' → 13, '1e2' → 100); NULL when it is no
    number or out of range. Spark's try_cast truncates or refuses those, and raw.sql's spark__text_as_integer
    gives NULL for '1.5', so neither equals DuckDB. Not emulated: DuckDB also reads '0x10', '0b11' and '1_000'. -#}
{% macro text_to_integer(expr) -%}
    {{ return(adapter.dispatch('text_to_integer', 'orderlayer')(expr)) }}
{%- endmacro %}
{% macro default__text_to_integer(expr) -%}try_cast({{ expr }} as integer){%- endmacro %}
{% macro spark__text_to_integer(expr) -%}
    case when {{ expr }} rlike '^\s*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?\s*\z'
         then try_cast(round(try_cast(trim({{ expr }}) as decimal(38, 18)), 0) as int) end
{%- endmacro %}
