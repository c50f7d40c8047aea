{#
    Every row satisfies `expression` (a SQL boolean over the model's columns); a null result
    fails too, unless the expression handles nulls itself. Use `where` config to narrow.
#}
{% test expression_is_true(model, expression, column_name=none) %}

select *
from {{ model }}
where not coalesce(({{ expression }}), false)

{% endtest %}
