{#- Time rules T1–T5 (docs/canonical-order-model.md). Every source timestamp is read with an
    explicitly declared format and becomes a UTC TIMESTAMPTZ; nothing depends on the session zone. -#}

{#- T1/T2: read `expr` (a JSON text value) declared as `format`:
      'epoch_s'  unix seconds          'epoch_ms' unix milliseconds
      'local'    naive local time in `source_zone`, written as `time_format` (default 'YYYY-MM-DD HH:MI:SS')
      'iso'      ISO-8601 with an explicit offset (Z or ±hh:mm)
    Sentinels give NULL: an all-zero value ('', '0', '0000-00-00 00:00:00', …) and any instant before
    `time_floor()` — the epoch day written in any zone ('1970-01-01 08:00:00' Beijing, '1970-01-01T00:00:00Z',
    epoch 0 …). Unparseable values give NULL too; `time_is_invalid` tells the two apart. -#}
{% macro to_utc(expr, format, source_zone='Asia/Shanghai', time_format='%Y-%m-%d %H:%M:%S') -%}
    nullif(greatest({{ parse_time(expr, format, source_zone, time_format) }}, {{ time_floor() }}), {{ time_floor() }})
{%- endmacro %}

{#- The earliest real instant: 1970-01-01 in the furthest zone (UTC-12) ends at 1970-01-02 12:00 UTC, so every
    instant before this floor is the epoch sentinel written in some zone (a real order never predates it). -#}
{% macro time_floor() -%}
    {{ instant_literal('1970-01-03 00:00:00') }}
{%- endmacro %}

{#- The instant `expr` reads as under `format`, sentinels included (NULL only when unreadable). -#}
{% macro parse_time(expr, format, source_zone='Asia/Shanghai', time_format='%Y-%m-%d %H:%M:%S') -%}
    {%- if format == 'epoch_s' -%}
    case when {{ full_match('trim(' ~ expr ~ ')', "'[0-9]{1,12}'") }} then {{ instant_from_epoch_seconds('cast(trim(' ~ expr ~ ') as bigint)') }} end
    {%- elif format == 'epoch_ms' -%}
    case when {{ full_match('trim(' ~ expr ~ ')', "'[0-9]{1,15}'") }} then {{ instant_from_epoch_millis('cast(trim(' ~ expr ~ ') as bigint)') }} end
    {%- elif format == 'local' -%}
    {{ local_to_instant(parse_local_text('trim(' ~ expr ~ ')', time_format), "'" ~ source_zone ~ "'") }}
    {%- elif format == 'iso' -%}
    case when {{ contains_match('trim(' ~ expr ~ ')', "'(Z|[+-][0-9]{2}:?[0-9]{2})$'") }}
         then {{ iso_text_to_instant('trim(' ~ expr ~ ')') }} end
    {%- else -%}
    {{ exceptions.raise_compiler_error("to_utc: unknown format '" ~ format ~ "'; use epoch_s, epoch_ms, local or iso") }}
    {%- endif -%}
{%- endmacro %}

{#- True when `expr` carries a value that is neither a sentinel nor readable as `format` (→ quarantine). -#}
{% macro time_is_invalid(expr, format, source_zone='Asia/Shanghai', time_format='%Y-%m-%d %H:%M:%S') -%}
    ({{ expr }} is not null
     and not {{ time_is_sentinel(expr) }}
     and ({{ parse_time(expr, format, source_zone, time_format) }}) is null)
{%- endmacro %}

{#- True when `expr` is written as a sentinel that stands for "no date" (T2: NULL, and flagged): empty or
    all zeros ('0', '0000-00-00 00:00:00', '0000/00/00'), or a date on 1970-01-01 in any notation. A parsed
    instant before time_floor() is a sentinel too (to_utc). -#}
{% macro time_is_sentinel(expr) -%}
    ({{ full_match('trim(' ~ expr ~ ')', "'[0 :/.T+-]*'") }} or {{ contains_match('trim(' ~ expr ~ ')', "'^1970[-/.]0?1[-/.]0?1([^0-9]|$)'") }})
{%- endmacro %}

{#- T3: the calendar date of a UTC instant in an IANA zone (a literal or a column). The instant itself
    is never shifted; only the date is derived. -#}
{% macro local_date(ts, zone) -%}
    cast({{ instant_to_local(ts, zone) }} as date)
{%- endmacro %}

{#- T4: a promise split into a local date and an optional local time (e.g. JD promise_date +
    promise_time) is assembled before conversion; a date-only promise means the end of that local day. -#}
{% macro local_date_and_time_to_utc(date_expr, time_expr, source_zone='Asia/Shanghai') -%}
    case when {{ full_match('trim(' ~ date_expr ~ ')', "'[0-9]{4}-[0-9]{2}-[0-9]{2}'") }} then
        {{ local_to_instant(parse_local_text(
            'trim(' ~ date_expr ~ ") || ' ' || coalesce(nullif(trim(" ~ time_expr ~ "), ''), '23:59:59')",
            '%Y-%m-%d %H:%M:%S'), "'" ~ source_zone ~ "'") }}
    end
{%- endmacro %}
