{#- Time rules T1–T5 (docs/canonical-order-model.md). Every source timestamp is read with an
    explicitly declared format and becomes a UTC TIMESTAMPTZ; nothing depends on the session zone. -#}

{#- T1/T2: read `expr` (a JSON text value) declared as `format`:
      'epoch_s'  unix seconds          'epoch_ms' unix milliseconds
      'local'    naive local time in `source_zone`, written as `time_format` (default 'YYYY-MM-DD HH:MI:SS')
      'iso'      ISO-8601 with an explicit offset (Z or ±hh:mm)
    Sentinels (0, '', 0000-00-00 00:00:00, 1970-01-01 08:00:00) and unparseable values give NULL;
    `time_is_invalid` tells the two apart. -#}
{% macro to_utc(expr, format, source_zone='Asia/Shanghai', time_format='%Y-%m-%d %H:%M:%S') -%}
    {%- if format == 'epoch_s' -%}
    case when regexp_full_match(trim({{ expr }}), '[0-9]{1,12}') and cast(trim({{ expr }}) as bigint) > 86400
         then to_timestamp(cast(trim({{ expr }}) as bigint)) end
    {%- elif format == 'epoch_ms' -%}
    case when regexp_full_match(trim({{ expr }}), '[0-9]{1,15}') and cast(trim({{ expr }}) as bigint) > 86400000
         then make_timestamptz(cast(trim({{ expr }}) as bigint) * 1000) end
    {%- elif format == 'local' -%}
    case when trim({{ expr }}) not in ('', '0000-00-00 00:00:00', '1970-01-01 08:00:00', '1970-01-01 00:00:00')
         then timezone('{{ source_zone }}', try_strptime(trim({{ expr }}), '{{ time_format }}')) end
    {%- elif format == 'iso' -%}
    case when regexp_matches(trim({{ expr }}), '(Z|[+-][0-9]{2}:?[0-9]{2})$')
         then try_cast(trim({{ expr }}) as timestamptz) end
    {%- else -%}
    {{ exceptions.raise_compiler_error("to_utc: unknown format '" ~ format ~ "'; use epoch_s, epoch_ms, local or iso") }}
    {%- endif -%}
{%- endmacro %}

{#- True when `expr` carries a value that is neither a sentinel nor readable as `format` (→ quarantine). -#}
{% macro time_is_invalid(expr, format, source_zone='Asia/Shanghai', time_format='%Y-%m-%d %H:%M:%S') -%}
    ({{ expr }} is not null
     and trim({{ expr }}) not in ('', '0', '0000-00-00 00:00:00', '1970-01-01 08:00:00', '1970-01-01 00:00:00')
     and ({{ to_utc(expr, format, source_zone, time_format) }}) is null)
{%- endmacro %}

{#- True when `expr` holds a sentinel that stands for "no date" (T2: NULL, and flagged). -#}
{% macro time_is_sentinel(expr) -%}
    (trim({{ expr }}) in ('', '0', '0000-00-00 00:00:00', '1970-01-01 08:00:00', '1970-01-01 00:00:00'))
{%- endmacro %}

{#- T3: the calendar date of a UTC instant in an IANA zone (a literal or a column). The instant itself
    is never shifted; only the date is derived. -#}
{% macro local_date(ts, zone) -%}
    cast(timezone({{ zone }}, {{ ts }}) as date)
{%- endmacro %}

{#- T4: a promise split into a local date and an optional local time (e.g. JD promise_date +
    promise_time) is assembled before conversion; a date-only promise means the end of that local day. -#}
{% macro local_date_and_time_to_utc(date_expr, time_expr, source_zone='Asia/Shanghai') -%}
    case when regexp_full_match(trim({{ date_expr }}), '[0-9]{4}-[0-9]{2}-[0-9]{2}') then
        timezone('{{ source_zone }}', try_strptime(
            trim({{ date_expr }}) || ' ' || coalesce(nullif(trim({{ time_expr }}), ''), '23:59:59'),
            '%Y-%m-%d %H:%M:%S'))
    end
{%- endmacro %}
