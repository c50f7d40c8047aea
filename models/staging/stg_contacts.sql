with

source as (

    select * from {{ source('raw', 'contacts') }}

),

renamed as (

    select
        contact_id as customer_id,
        full_name,
        email,
        phone,
        region,
        acquisition_channel,
        signup_at,
        {{ to_reporting_tz('signup_at') }} as signup_at_local,
        updated_at,
        {{ to_reporting_tz('updated_at') }} as updated_at_local,
        -- Missing consent is no consent: an empty opt-in never makes a customer contactable.
        coalesce(sms_opt_in, false) as is_sms_opt_in,
        coalesce(email_opt_in, false) as is_email_opt_in,
        coalesce(push_opt_in, false) as is_push_opt_in,
        coalesce(phone_opt_in, false) as is_phone_opt_in,
        _loaded_at as loaded_at

    from source

),

final as (

    select
        customer_id,
        full_name,
        email,
        phone,
        email is not null as has_email,
        phone is not null as has_phone,
        region,
        acquisition_channel,
        signup_at,
        signup_at_local,
        cast(signup_at_local as date) as signup_date,
        updated_at,
        updated_at_local,
        cast(updated_at_local as date) as updated_date,
        is_sms_opt_in,
        is_email_opt_in,
        is_push_opt_in,
        is_phone_opt_in,
        loaded_at

    from renamed

)

select * from final
