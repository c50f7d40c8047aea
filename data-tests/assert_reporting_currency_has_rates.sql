-- The reporting currency must be in the rates seed, or every *_reporting amount would be null.
-- Attached to stg_currency_rates, so a failure stops the marts in `dbt build`.
with

currency_rates as (

    select * from {{ ref('stg_currency_rates') }}

),

reporting_currency_rates as (

    select count(*) as rate_count
    from currency_rates
    where currency = '{{ var("reporting_currency") }}'

),

final as (

    select
        '{{ var("reporting_currency") }}' as reporting_currency,
        rate_count
    from reporting_currency_rates
    where rate_count = 0

)

select * from final
