with

customer_lifecycle_monthly as (

    select * from {{ ref('customer_lifecycle_monthly') }}

),

-- A customer has a row at every month end from signup on, so the previous row is the previous
-- month end; without one the customer had not signed up yet.
transitions as (

    select
        month_end,
        customer_id,
        coalesce(
            lag(stage) over (partition by customer_id order by month_end),
            'not_signed_up'
        ) as from_stage,
        stage as to_stage

    from customer_lifecycle_monthly

),

final as (

    select
        month_end,
        from_stage,
        to_stage,
        cast(count(*) as {{ dbt.type_int() }}) as customers

    from transitions
    group by
        month_end,
        from_stage,
        to_stage

)

select * from final
