{#
    to_reporting_currency: an amount in the reporting currency (SPEC §4), rounded half up to
    cents in decimal arithmetic. An amount already in the reporting currency converts at
    exactly 1 and needs no rate, whatever its date; any other amount converts at
    `conversion_factor` (int_currency_rates_daily, joined on the amount's date and currency).
    The one place where an amount becomes a reporting-currency amount.

    The amount in the reporting currency is rounded as it is, not multiplied by 1: the product
    with a rate is a 38-digit decimal, slow to round (a quarter of the conversion of 20M
    transactions).
#}
{% macro to_reporting_currency(amount, currency, conversion_factor) -%}
    case
        when {{ currency }} = '{{ var("reporting_currency") }}'
            then cast(round({{ amount }}, 2) as decimal(18, 2))
        else cast(round(({{ amount }}) * {{ conversion_factor }}, 2) as decimal(18, 2))
    end
{%- endmacro %}
