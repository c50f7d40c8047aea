-- Published as int_customer_records_selected builds it (SPEC §9 dim_customers).
with

customer_records as (

    select * from {{ ref('int_customer_records_selected') }}

),

final as (

    select
        customer_id,
        signup_at,
        signup_at_local,
        signup_date,
        region,
        acquisition_channel,
        is_sms_opt_in,
        is_email_opt_in,
        is_push_opt_in,
        is_phone_opt_in,
        has_email,
        has_phone,
        record_updated_at,
        version_count

    from customer_records

)

select * from final
