with

source as (

    select * from {{ source('raw', 'transactions') }}

),

renamed as (

    select
        transaction_id,
        contact_id as customer_id,
        occurred_at,
        {{ to_reporting_tz('occurred_at') }} as occurred_at_local,
        kind,
        cast(amount as decimal(18, 4)) as amount,
        currency,
        store_or_channel,
        category,
        _loaded_at as loaded_at

    from source

),

final as (

    select
        transaction_id,
        customer_id,
        occurred_at,
        occurred_at_local,
        cast(occurred_at_local as date) as occurred_date,
        cast({{ dbt.date_trunc('month', 'occurred_at_local') }} as date) as occurred_month,
        kind,
        amount,
        case when kind = 'refund' then -amount else amount end as signed_amount,
        currency,
        (kind = 'purchase' and amount > 0) as is_qualifying_purchase,
        store_or_channel,
        category,
        loaded_at

    from renamed

)

select * from final
