{#- Vocabulary the Douyin, Taobao, JD and Pinduoduo staging needed (issue 16); the lead folds it into the dialect
    files. `default__` is DuckDB's spelling (its meaning is the reference), `spark__` Spark SQL's. -#}



{#- Seeds on Spark (`method: session`). dbt-spark's seed load binds each CSV value as '<value>' without escaping, so a
    value with an apostrophe ("the channel's default") breaks the insert (and with escapedStringLiterals a backslash
    cannot escape it). Each value is written as a literal Spark reads back exactly (text_literal). -#}
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
    {%- else -%}{{ text_literal(value.isoformat() if value.isoformat is defined else value | string) }}
    {%- endif -%}
{%- endmacro %}
