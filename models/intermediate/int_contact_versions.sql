-- Type-2 history of the customer record (SPEC §4 "dbt snapshot or equivalent"): the CRM export
-- already carries every version, so each version row becomes a validity interval.
with

contacts as (

    select * from {{ ref('stg_contacts') }}

),

versioned as (

    select
        *,
        row_number() over (partition by customer_id order by updated_at) as version_number,
        lead(updated_at) over (partition by customer_id order by updated_at) as valid_to

    from contacts

),

final as (

    select
        customer_id,
        cast(version_number as {{ dbt.type_int() }}) as version_number,
        updated_at as valid_from,
        valid_to,
        valid_to is null as is_current,
        full_name,
        email,
        phone,
        has_email,
        has_phone,
        region,
        acquisition_channel,
        signup_at,
        signup_at_local,
        signup_date,
        updated_at,
        updated_at_local,
        updated_date,
        is_sms_opt_in,
        is_email_opt_in,
        is_push_opt_in,
        is_phone_opt_in

    from versioned

)

select * from final
