{#- Fails on every row where `expression` is not true (an arithmetic or logical invariant). -#}
{% test expression_is_true(model, expression, where_clause='true') %}
select *
from {{ model }}
where ({{ where_clause }}) and not coalesce(({{ expression }}), false)
{% endtest %}
