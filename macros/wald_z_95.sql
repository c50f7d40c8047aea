{#
    wald_z_95: the two-sided 95% quantile of the standard normal distribution, z = 1.959964,
    which the Wald interval of a lift multiplies the standard error by (SPEC §6 "Effect
    (lift)"). The one home of the constant.
#}
{% macro wald_z_95() -%}
    1.959964
{%- endmacro %}
