{#- Yonyou YonBIP value formats (shared/channels/yonyou.md §A), typed with the shared rule macros. -#}

{#- The tenant's zone of naive 'yyyy-MM-dd HH:mm:ss' times (China time unless configured). -#}
{% macro yonyou_timezone() -%}
{{ return(var('orderlayer_yonyou_timezone', 'Asia/Shanghai')) }}
{%- endmacro %}

{#- ISO 4217 from the currency fields: a code where one is sent, else the Chinese name. -#}
{% macro yonyou_currency(code, currency, name) -%}
    coalesce(
        case when {{ full_match('upper(trim(' ~ code ~ '))', "'[A-Z]{3}'") }} then upper(trim({{ code }})) end,
        case when {{ full_match('upper(trim(' ~ currency ~ '))', "'[A-Z]{3}'") }} then upper(trim({{ currency }})) end,
        case trim({{ name }}) when '人民币' then 'CNY' when '美元' then 'USD' when '港币' then 'HKD' when '港元' then 'HKD'
            when '欧元' then 'EUR' when '日元' then 'JPY' end
    )
{%- endmacro %}

{#- The ERP status from nextStatusName: under approval or confirmed = open, (partly) delivered = in_process,
    received or closed = completed, rejected (OPPOSE) = cancelled; an unknown code stays NULL. -#}
{% macro yonyou_erp_status(code) -%}
    case upper(trim({{ code }}))
        when 'APPROVING' then 'open'
        when 'CONFIRMORDER' then 'open'
        when 'DELIVERY_PART' then 'in_process'
        when 'DELIVERGOODS' then 'in_process'
        when 'TAKEDELIVERY' then 'completed'
        when 'ENDORDER' then 'completed'
        when 'OPPOSE' then 'cancelled'
    end
{%- endmacro %}
