{#- Time primitives that DuckDB and Spark spell differently. An "instant" is a UTC point in time (DuckDB
    TIMESTAMPTZ, Spark TIMESTAMP in a UTC session); a "local time" is a wall-clock time without a zone (DuckDB
    TIMESTAMP; in Spark a TIMESTAMP whose UTC reading is the wall clock). The rules (macros/time.sql) build on these. -#}

{#- The instant `expr` (a whole number) seconds after the epoch. -#}
{% macro instant_from_epoch_seconds(expr) -%}
    {{ return(adapter.dispatch('instant_from_epoch_seconds', 'orderlayer')(expr)) }}
{%- endmacro %}
{% macro default__instant_from_epoch_seconds(expr) -%}to_timestamp({{ expr }}){%- endmacro %}
{% macro spark__instant_from_epoch_seconds(expr) -%}timestamp_seconds({{ expr }}){%- endmacro %}

{#- The instant `expr` (a whole number) milliseconds after the epoch. -#}
{% macro instant_from_epoch_millis(expr) -%}
    {{ return(adapter.dispatch('instant_from_epoch_millis', 'orderlayer')(expr)) }}
{%- endmacro %}
{% macro default__instant_from_epoch_millis(expr) -%}make_timestamptz(({{ expr }}) * 1000){%- endmacro %}
{% macro spark__instant_from_epoch_millis(expr) -%}timestamp_millis({{ expr }}){%- endmacro %}

{#- The instant at which the wall clock in `zone` (an IANA name: a quoted literal or a column) showed `local`. A time
    the clocks skipped reads with the offset before the change; a time shown twice (clocks set back) is the second
    showing, as ICU takes it. -#}
{% macro local_to_instant(local, zone) -%}
    {{ return(adapter.dispatch('local_to_instant', 'orderlayer')(local, zone)) }}
{%- endmacro %}
{% macro default__local_to_instant(local, zone) -%}timezone({{ zone }}, {{ local }}){%- endmacro %}
{#- to_utc_timestamp takes the first of two showings: when the wall clock showed `local` again an hour later (a
    one-hour set-back), the second showing is that hour later. -#}
{% macro spark__local_to_instant(local, zone) -%}
    {%- set first = 'to_utc_timestamp(' ~ local ~ ', ' ~ zone ~ ')' -%}
    (case when from_utc_timestamp({{ first }} + interval 1 hour, {{ zone }}) = {{ local }}
          then {{ first }} + interval 1 hour else {{ first }} end)
{%- endmacro %}

{#- What the wall clock in `zone` showed at the instant `ts`. -#}
{% macro instant_to_local(ts, zone) -%}
    {{ return(adapter.dispatch('instant_to_local', 'orderlayer')(ts, zone)) }}
{%- endmacro %}
{% macro default__instant_to_local(ts, zone) -%}timezone({{ zone }}, {{ ts }}){%- endmacro %}
{% macro spark__instant_to_local(ts, zone) -%}from_utc_timestamp({{ ts }}, {{ zone }}){%- endmacro %}

{#- The local time a text reads as under a strftime format (%Y %m %d %H %M %S %y %f and literal characters); NULL
    when it does not. A number next to a separator may be written without its leading zero (2024-1-2). -#}
{% macro parse_local_text(expr, strftime_format) -%}
    {{ return(adapter.dispatch('parse_local_text', 'orderlayer')(expr, strftime_format)) }}
{%- endmacro %}
{% macro default__parse_local_text(expr, strftime_format) -%}try_strptime({{ expr }}, '{{ strftime_format }}'){%- endmacro %}
{% macro spark__parse_local_text(expr, strftime_format) -%}try_to_timestamp({{ expr }}, {{ text_literal(java_time_pattern(strftime_format)) }}){%- endmacro %}

{#- A strftime format as a java.time pattern. A month, day or time field between separators takes one letter (M, d,
    H, m, s: one or two digits, as DuckDB's strptime reads them), one next to another field two (20240102); a literal
    character other than - : . / , and space is quoted. -#}
{% macro java_time_pattern(strftime_format) -%}
    {%- set wide = {'Y': 'yyyy', 'y': 'yy', 'm': 'MM', 'd': 'dd', 'H': 'HH', 'M': 'mm', 'S': 'ss', 'f': 'SSSSSS'} -%}
    {%- set narrow = {'m': 'M', 'd': 'd', 'H': 'H', 'M': 'm', 'S': 's'} -%}
    {%- set ns = namespace(tokens=[], pct=false, out='') -%}
    {%- for ch in strftime_format -%}
        {%- if ns.pct -%}
            {%- if ch not in wide -%}
                {{ exceptions.raise_compiler_error("parse_local_text: %" ~ ch ~ " has no Spark equivalent here; use %Y %m %d %H %M %S %y %f") }}
            {%- endif -%}
            {%- do ns.tokens.append(('%', ch)) -%}{%- set ns.pct = false -%}
        {%- elif ch == '%' -%}{%- set ns.pct = true -%}
        {%- else -%}{%- do ns.tokens.append(('', ch)) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for kind, ch in ns.tokens -%}
        {%- if kind == '%' -%}
            {%- set beside = (not loop.first and loop.previtem[0] == '%') or (not loop.last and loop.nextitem[0] == '%') -%}
            {%- set ns.out = ns.out ~ (narrow[ch] if ch in narrow and not beside else wide[ch]) -%}
        {%- elif ch == "'" -%}{%- set ns.out = ns.out ~ "''" -%}
        {%- elif ch in '-:./, ' -%}{%- set ns.out = ns.out ~ ch -%}
        {%- else -%}{%- set ns.out = ns.out ~ "'" ~ ch ~ "'" -%}
        {%- endif -%}
    {%- endfor -%}
    {{- ns.out -}}
{%- endmacro %}

{#- The instant an ISO-8601 text with an explicit offset names; NULL when it does not read as one. -#}
{% macro iso_text_to_instant(expr) -%}
    {{ return(adapter.dispatch('iso_text_to_instant', 'orderlayer')(expr)) }}
{%- endmacro %}
{% macro default__iso_text_to_instant(expr) -%}try_cast({{ expr }} as timestamptz){%- endmacro %}
{% macro spark__iso_text_to_instant(expr) -%}try_cast({{ expr }} as timestamp){%- endmacro %}

{#- An instant written as a UTC literal 'YYYY-MM-DD HH:MM:SS'. -#}
{% macro instant_literal(utc_text) -%}
    {{ return(adapter.dispatch('instant_literal', 'orderlayer')(utc_text)) }}
{%- endmacro %}
{% macro default__instant_literal(utc_text) -%}timestamptz '{{ utc_text }}+00'{%- endmacro %}
{% macro spark__instant_literal(utc_text) -%}timestamp '{{ utc_text }}'{%- endmacro %}

{#- An instant as text 'YYYY-MM-DDTHH:MM:SSZ' (UTC). -#}
{% macro instant_iso_text(ts) -%}
    {{ return(adapter.dispatch('instant_iso_text', 'orderlayer')(ts)) }}
{%- endmacro %}
{% macro default__instant_iso_text(ts) -%}strftime({{ ts }}, '%Y-%m-%dT%H:%M:%SZ'){%- endmacro %}
{% macro spark__instant_iso_text(ts) -%}date_format({{ ts }}, {{ text_literal("yyyy-MM-dd'T'HH:mm:ss'Z'") }}){%- endmacro %}

{#- `ts` moved by a whole number of hours (negative: earlier). -#}
{% macro add_hours(ts, hours) -%}
    {{ return(adapter.dispatch('add_hours', 'orderlayer')(ts, hours)) }}
{%- endmacro %}
{% macro default__add_hours(ts, hours) -%}({{ ts }} + to_hours(cast({{ hours }} as bigint))){%- endmacro %}
{% macro spark__add_hours(ts, hours) -%}({{ ts }} + make_dt_interval(0, cast({{ hours }} as int), 0, 0)){%- endmacro %}

{#- Seconds since the epoch of an instant, rounded to a whole number (halves to even: DuckDB casts epoch()'s double). -#}
{% macro epoch_seconds_of(ts) -%}
    {{ return(adapter.dispatch('epoch_seconds_of', 'orderlayer')(ts)) }}
{%- endmacro %}
{% macro default__epoch_seconds_of(ts) -%}cast(epoch({{ ts }}) as bigint){%- endmacro %}
{#- unix_seconds truncates: round the same double DuckDB does. -#}
{% macro spark__epoch_seconds_of(ts) -%}cast(bround(unix_micros({{ ts }}) / 1e6, 0) as bigint){%- endmacro %}
