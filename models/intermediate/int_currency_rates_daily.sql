-- The factor that converts one unit of each currency to the reporting currency on every
-- calendar day from the first rate date to the later of D and the last rate date (SPEC §4):
-- each currency takes its rate on the day or the latest earlier one, and converts through the
-- base currency of the rates (a cross rate), so any reporting currency works. Rates are the
-- seed's, extended by landed currency_rates files, which override the seed for the same date
-- and currency. Macro to_reporting_currency applies the factor (at exactly 1 for amounts
-- already in the reporting currency).
{%- set reporting_currency = var('reporting_currency') %}

with

seed_rates as (

    select * from {{ ref('stg_currency_rates') }}

),

landed_rates as (

    select * from {{ ref('stg_currency_rates_landed') }}

),

as_of as (

    select * from {{ ref('int_as_of_date') }}

),

-- Landed rates extend the seed (older dates, other currencies) and, for the same date and
-- currency, override it (SPEC §4).
currency_rates as (

    select
        seed_rates.rate_date,
        seed_rates.currency,
        seed_rates.value_in_base

    from seed_rates
    left join landed_rates
        on
            seed_rates.rate_date = landed_rates.rate_date
            and seed_rates.currency = landed_rates.currency
    where landed_rates.currency is null

    union all

    select
        rate_date,
        currency,
        value_in_base

    from landed_rates

),

-- Every calendar day from the first rate date to the later of D and the last rate date, so
-- every date a mart converts on has a row, even after the last published rate.
calendar_bounds as (

    select
        min(currency_rates.rate_date) as first_day,
        greatest(
            max(currency_rates.rate_date),
            coalesce(max(as_of.as_of_date), max(currency_rates.rate_date))
        ) as last_day

    from currency_rates
    cross join as_of

),

calendar as (

    {{ day_spine(
        "(select first_day from calendar_bounds)",
        "(select last_day from calendar_bounds)"
    ) }}

),

-- A rate holds from its date until the currency's next rate (rates exist on business days
-- only). A range join instead of an engine-specific as-of join keeps this portable.
rate_periods as (

    select
        currency,
        value_in_base,
        rate_date as valid_from,
        lead(rate_date) over (partition by currency order by rate_date) as valid_to

    from currency_rates

),

daily_rates as (

    select
        calendar.date_day as rate_date,
        rate_periods.currency,
        rate_periods.value_in_base,
        rate_periods.valid_from as source_rate_date

    from calendar
    inner join rate_periods
        on
            calendar.date_day >= rate_periods.valid_from
            and (rate_periods.valid_to is null or calendar.date_day < rate_periods.valid_to)

),

reporting_currency_rates as (

    select
        rate_date,
        value_in_base as reporting_value_in_base,
        source_rate_date as reporting_source_rate_date

    from daily_rates
    where currency = '{{ reporting_currency }}'

),

-- Cross rate through the base currency: one unit of `currency` is worth
-- value_in_base(currency) / value_in_base(reporting currency) units of the reporting currency.
final as (

    select
        daily_rates.rate_date,
        daily_rates.currency,
        '{{ reporting_currency }}' as reporting_currency,
        cast(
            daily_rates.value_in_base / reporting_currency_rates.reporting_value_in_base
            as decimal(24, 12)
        ) as conversion_factor,
        daily_rates.source_rate_date,
        reporting_currency_rates.reporting_source_rate_date

    from daily_rates
    inner join reporting_currency_rates
        on daily_rates.rate_date = reporting_currency_rates.rate_date

)

select * from final
