{#
    to_reporting_currency: an amount in the reporting currency (SPEC §4), rounded half up to
    cents in decimal arithmetic. An amount already in the reporting currency converts at
    exactly 1 and needs no rate, whatever its date; any other amount converts at
    `conversion_factor` (int_currency_rates_daily, joined on the amount's date and currency).
    The one place where an amount becomes a reporting-currency amount.
#}
{% macro to_reporting_currency(amount, currency, conversion_factor) -%}
    cast(
        round(
            ({{ amount }})
            * case
                when {{ currency }} = '{{ var("reporting_currency") }}' then 1
                else {{ conversion_factor }}
            end,
            2
        )
        as decimal(18, 2)
    )
{%- endmacro %}
