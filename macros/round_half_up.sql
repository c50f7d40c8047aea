{#
    round_half_up_ratio: numerator / denominator rounded half up (away from zero) to cents, in
    integer arithmetic, never through floating point (SPEC §4: 38.66 / 4 = 9.67, where a
    double gives 9.665 - ε and rounds to 9.66). `numerator` is a decimal with at most two
    decimal places (an amount, or an amount times a count); `denominator` a positive integer
    (a count; null gives null). With N the numerator in cents and d the denominator, the
    result is floor((2 |N| + d) / (2 d)) cents, signed like N.

    integer_divide: floor(a / b) for a >= 0 and b > 0, in integers. Dispatched: DuckDB `//`,
    Spark `div` (dbt has no cross-database macro for it).
#}
{% macro round_half_up_ratio(numerator, denominator) -%}
    {%- set cents = 'abs(cast((' ~ numerator ~ ') * 100 as bigint))' -%}
    cast(
        cast(
            case when ({{ numerator }}) < 0 then -1 else 1 end
            * {{ integer_divide(
                '2 * ' ~ cents ~ ' + (' ~ denominator ~ ')',
                '2 * (' ~ denominator ~ ')'
            ) }}
            as decimal(18, 0)
        ) * 0.01
        as decimal(18, 2)
    )
{%- endmacro %}

{% macro integer_divide(a, b) -%}
    {{ return(adapter.dispatch('integer_divide', 'recall_warehouse')(a, b)) }}
{%- endmacro %}

{% macro duckdb__integer_divide(a, b) -%}
    (({{ a }}) // ({{ b }}))
{%- endmacro %}

{% macro spark__integer_divide(a, b) -%}
    (({{ a }}) div ({{ b }}))
{%- endmacro %}
