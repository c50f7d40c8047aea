with

landed_rates as (

    select * from {{ source('raw', 'currency_rates') }}

),

final as (

    select
        rate_date,
        currency,
        cast(value_in_base as decimal(18, 8)) as value_in_base

    from landed_rates

)

select * from final
