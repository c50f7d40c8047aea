-- The lapsed pool rolls forward (SPEC §6.3): its months follow one another without a gap, and
-- each month opens with the previous month's closing (the first month with 0). Returns the
-- months that break the chain.
with

lapsed_pool_monthly as (

    select * from {{ ref('lapsed_pool_monthly') }}

),

chained as (

    select
        month,
        opening,
        lag(month) over (order by month) as previous_month,
        lag(closing) over (order by month) as previous_closing

    from lapsed_pool_monthly

),

final as (

    select *

    from chained
    where
        (previous_month is null and opening != 0)
        or (
            previous_month is not null
            and (
                previous_month != cast({{ dbt.dateadd('month', -1, 'month') }} as date)
                or opening != previous_closing
            )
        )

)

select * from final
