{#- Amount rule (fct_order_lines): allocate order-level amounts to lines in proportion to `weight`,
    in whole cents, with the rounding remainder on the largest line (ties: lowest `order_by`), so
    the lines sum exactly to the order. When every weight is 0 the largest-ranked line takes all.
    `amounts` maps output column → order-level amount column of `relation`. Emits a select with
    every column of `relation` plus the outputs. -#}
{% macro allocate_to_lines(relation, partition, weight, order_by, amounts) -%}
    {%- set wide = wide_integer_type() -%}
    with _ranked as (
        select *,
            sum({{ weight }}) over (partition by {{ partition }}) as _alloc_weight_total,
            row_number() over (partition by {{ partition }} order by {{ weight }} desc, {{ order_by }}) as _alloc_rank
        from {{ relation }}
    ),
    _shares as (
        select *,
        {%- for out, amount in amounts.items() %}
            case
                when _alloc_weight_total = 0 then case when _alloc_rank = 1 then cast({{ amount }} * 100 as {{ wide }}) else 0 end
                else {{ whole_division('cast(' ~ amount ~ ' * 100 as ' ~ wide ~ ') * cast(' ~ weight ~ ' * 100 as ' ~ wide ~ ')',
                                       'cast(_alloc_weight_total * 100 as ' ~ wide ~ ')') }}
            end as _alloc_{{ out }}{{ "," if not loop.last }}
        {%- endfor %}
        from _ranked
    )
    select * except (_alloc_weight_total, _alloc_rank{% for out in amounts %}, _alloc_{{ out }}{% endfor %}),
    {%- for out, amount in amounts.items() %}
        cast(
            (_alloc_{{ out }} + case when _alloc_rank = 1
                then cast({{ amount }} * 100 as {{ wide }}) - sum(_alloc_{{ out }}) over (partition by {{ partition }})
                else 0 end) * 0.01
        as {{ money_type() }}) as {{ out }}{{ "," if not loop.last }}
    {%- endfor %}
    from _shares
{%- endmacro %}
