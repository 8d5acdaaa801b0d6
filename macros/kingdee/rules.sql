{#- Kingdee K3Cloud value formats (shared/channels/kingdee_k3cloud.md §4–§6), typed with the shared rule macros. -#}

{#- The site's zone: times carry no offset (server-local, normally China). -#}
{% macro kingdee_timezone() -%}
{{ return(var('orderlayer_kingdee_timezone', 'Asia/Shanghai')) }}
{%- endmacro %}

{#- 'yyyy-MM-ddTHH:mm:ss[.fff]' (or 'yyyy-MM-dd HH:mm:ss', or a bare date = midnight) as the shared
    'YYYY-MM-DD HH:MI:SS' text; sub-seconds are dropped (FilterString literals have whole seconds). -#}
{% macro kingdee_local_text(expr) -%}
    case
        when {{ full_match('trim(' ~ expr ~ ')', "'[0-9]{4}-[0-9]{2}-[0-9]{2}'") }} then trim({{ expr }}) || ' 00:00:00'
        when {{ full_match('trim(' ~ expr ~ ')', "'[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,7})?'") }}
            then replace(left(trim({{ expr }}), 19), 'T', ' ')
        else trim({{ expr }})
    end
{%- endmacro %}

{#- T1: a site-local time → UTC. -#}
{% macro kingdee_local_to_utc(expr) -%}
    {{ to_utc(kingdee_local_text(expr), 'local', kingdee_timezone()) }}
{%- endmacro %}

{% macro kingdee_time_is_invalid(expr) -%}
    {{ time_is_invalid(kingdee_local_text(expr), 'local', kingdee_timezone()) }}
{%- endmacro %}

{#- Kingdee's preset settlement-currency numbers (BD_Currency) → ISO 4217; a 3-letter code is kept. -#}
{% macro kingdee_currency(expr) -%}
    case upper(trim({{ expr }}))
        when 'PRE001' then 'CNY'
        when 'PRE002' then 'HKD'
        when 'PRE003' then 'EUR'
        when 'PRE004' then 'JPY'
        when 'PRE005' then 'TWD'
        when 'PRE006' then 'GBP'
        when 'PRE007' then 'USD'
        else case when {{ full_match('upper(trim(' ~ expr ~ '))', "'[A-Z]{3}'") }} then upper(trim({{ expr }})) end
    end
{%- endmacro %}

{#- The ERP status from the three bill statuses: voided (FCancelStatus B) = cancelled, closed (FCloseStatus B) =
    completed, audited with anything shipped (remaining out quantity below the ordered quantity) = in_process,
    any other document status (Z draft, A created, B under review, C audited, D re-audit) = open; an unknown
    code stays NULL. The comparison assumes the sales unit is the base unit (FBaseRemainOutQty is in the base unit). -#}
{% macro kingdee_erp_status(document, close, cancel, remain_qty, ordered_qty) -%}
    case
        when {{ cancel }} = 'B' then 'cancelled'
        when {{ close }} = 'B' then 'completed'
        when {{ document }} = 'C' and {{ remain_qty }} < {{ ordered_qty }} then 'in_process'
        when {{ document }} in ('Z', 'A', 'B', 'C', 'D') and coalesce({{ close }}, 'A') = 'A' and coalesce({{ cancel }}, 'A') = 'A'
            then 'open'
    end
{%- endmacro %}
