{#- Text functions that DuckDB and Spark spell differently. Patterns are RE2/Java regular expressions in the
    common subset (no look-around, no backreferences). -#}

{#- True when the whole of `expr` matches `pattern` (NULL for NULL). -#}
{% macro full_match(expr, pattern) -%}
    {{ return(adapter.dispatch('full_match', 'orderlayer')(expr, pattern)) }}
{%- endmacro %}
{% macro default__full_match(expr, pattern) -%}regexp_full_match({{ expr }}, {{ pattern }}){%- endmacro %}
{#- rlike finds a match anywhere: anchor the whole pattern (\z, since $ also matches before a final newline). -#}
{% macro spark__full_match(expr, pattern) -%}({{ expr }} rlike concat('^(?:', {{ pattern }}, ')\z')){%- endmacro %}

{#- True when `pattern` matches somewhere in `expr`. -#}
{% macro contains_match(expr, pattern) -%}
    {{ return(adapter.dispatch('contains_match', 'orderlayer')(expr, pattern)) }}
{%- endmacro %}
{% macro default__contains_match(expr, pattern) -%}regexp_matches({{ expr }}, {{ pattern }}){%- endmacro %}
{% macro spark__contains_match(expr, pattern) -%}({{ expr }} rlike {{ pattern }}){%- endmacro %}

{#- Every match of `pattern` in `expr` replaced by `replacement`, a plain text (no group references; `$` is itself,
    a backslash is not allowed: DuckDB reads it as an escape). -#}
{% macro replace_all(expr, pattern, replacement) -%}
    {{ return(adapter.dispatch('replace_all', 'orderlayer')(expr, pattern, replacement)) }}
{%- endmacro %}
{% macro default__replace_all(expr, pattern, replacement) -%}regexp_replace({{ expr }}, {{ pattern }}, {{ replacement }}, 'g'){%- endmacro %}
{#- Java reads `$` and backslash in a replacement as group references and escapes: quote them. -#}
{% macro spark__replace_all(expr, pattern, replacement) -%}
    regexp_replace({{ expr }}, {{ pattern }}, regexp_replace({{ replacement }}, '([\\$])', '\\$1'))
{%- endmacro %}

{#- `expr` split at every `sep` (a literal, non-empty text, not a pattern) into a list of texts. -#}
{% macro split_text(expr, sep) -%}
    {{ return(adapter.dispatch('split_text', 'orderlayer')(expr, sep)) }}
{%- endmacro %}
{% macro default__split_text(expr, sep) -%}string_split({{ expr }}, {{ sep }}){%- endmacro %}
{#- Spark's split() takes a pattern: quote the separator; -1 keeps trailing empty parts as DuckDB does. -#}
{% macro spark__split_text(expr, sep) -%}split({{ expr }}, concat('\Q', {{ sep }}, '\E'), -1){%- endmacro %}

{#- `template` (a text constant) with each `{}` replaced by the next argument (DuckDB's format(), fmt syntax with only
    `{}`); NULL when any argument is. Arguments are texts or whole numbers: DuckDB prints decimals and doubles its
    own way (12.30 as 12.3). -#}
{% macro format_text(template, args) -%}
    {{ return(adapter.dispatch('format_text', 'orderlayer')(template, args)) }}
{%- endmacro %}
{% macro default__format_text(template, args) -%}format({{ template }}, {{ args | join(', ') }}){%- endmacro %}
{#- format_string is printf-style: `{}` becomes %s, a literal % is doubled, and each argument is cast to text; it
    prints a NULL as 'null'. -#}
{% macro spark__format_text(template, args) -%}
    case when {% for a in args %}({{ a }}) is not null{{ ' and ' if not loop.last }}{% endfor %}
         then format_string({{ template | replace('%', '%%') | replace('{}', '%s') }}, {% for a in args %}cast({{ a }} as string){{ ', ' if not loop.last }}{% endfor %}) end
{%- endmacro %}

{#- The hex SHA-256 of a text. -#}
{% macro sha256_hex(expr) -%}
    {{ return(adapter.dispatch('sha256_hex', 'orderlayer')(expr)) }}
{%- endmacro %}
{% macro default__sha256_hex(expr) -%}sha256({{ expr }}){%- endmacro %}
{% macro spark__sha256_hex(expr) -%}sha2({{ expr }}, 256){%- endmacro %}

{#- A text constant that both engines read as `value` (a Jinja string), quotes and backslashes included. A model
    writes a constant holding a single quote this way, never with '' (Spark keeps '' as two quotes). -#}
{% macro text_literal(value) -%}
    {{ return(adapter.dispatch('text_literal', 'orderlayer')(value)) }}
{%- endmacro %}
{% macro default__text_literal(value) -%}'{{ value | replace("'", "''") }}'{%- endmacro %}
{#- With spark.sql.parser.escapedStringLiterals a Spark literal has no way to hold a quote, and a backslash before
    the closing quote escapes it: those two characters are chr() of their codes, the runs between them literals. -#}
{% macro spark__text_literal(value) -%}
    {%- set ns = namespace(parts=[], run='') -%}
    {%- for ch in value -%}
        {%- if ch in ("'", '\\') -%}
            {%- if ns.run -%}{%- do ns.parts.append("'" ~ ns.run ~ "'") -%}{%- set ns.run = '' -%}{%- endif -%}
            {%- do ns.parts.append('chr(' ~ (39 if ch == "'" else 92) ~ ')') -%}
        {%- else -%}
            {%- set ns.run = ns.run ~ ch -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if ns.run or not ns.parts -%}{%- do ns.parts.append("'" ~ ns.run ~ "'") -%}{%- endif -%}
    {{- ns.parts[0] if ns.parts | length == 1 else 'concat(' ~ (ns.parts | join(', ')) ~ ')' -}}
{%- endmacro %}
