-- The customers a run describes, with the record valid at D (SPEC §4): a customer who signed
-- up after D is absent, and attributes come from the latest version of the contact record
-- updated on or before D, or from the earliest version when every version is later (versions
-- dated after D are not known yet). No personal data: has_email / has_phone say whether contact
-- details exist. dim_customers publishes this model; every model that needs "the customer as of
-- D" reads it.
--
-- A table, not a view like the rest of the folder: six models read it (the lifecycle state
-- model three times), and as a view its version windows ran once for each.
{{ config(materialized='table') }}

with

contact_versions as (

    select * from {{ ref('int_contact_versions') }}

),

as_of as (

    select * from {{ ref('int_as_of_date') }}

),

-- The version valid at D: the latest updated on or before D, else the first.
version_as_of_d as (

    select
        contact_versions.customer_id,
        coalesce(
            max(
                case
                    when contact_versions.updated_date <= as_of.as_of_date
                        then contact_versions.version_number
                end
            ),
            1
        ) as version_number

    from contact_versions
    cross join as_of
    group by contact_versions.customer_id

),

customer_records as (

    select contact_versions.*

    from contact_versions
    inner join version_as_of_d
        on
            contact_versions.customer_id = version_as_of_d.customer_id
            and contact_versions.version_number = version_as_of_d.version_number

),

-- Customers who signed up after D are absent.
signed_up_by_d as (

    select customer_records.*

    from customer_records
    cross join as_of
    where customer_records.signup_date <= as_of.as_of_date

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
        updated_at as record_updated_at,
        cast(version_number as {{ dbt.type_int() }}) as version_count

    from signed_up_by_d

)

select * from final
