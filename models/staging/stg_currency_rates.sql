with

currency_rates as (

    select * from {{ ref('currency_rates') }}

),

final as (

    select
        cast(rate_date as date) as rate_date,
        upper(trim(currency)) as currency,
        cast(value_in_base as decimal(18, 8)) as value_in_base

    from currency_rates

)

select * from final
