-- Recall campaigns that started on or before D (SPEC §4), with the length of each in days
-- (both ends count) and its fixed cost in the reporting currency at the rate of its start date
-- (SPEC §4: a campaign converts at its start date; macro to_reporting_currency). dim_campaigns
-- publishes this model; the fixed-cost allocation reads it.
with

campaigns as (

    select * from {{ ref('stg_campaigns') }}

),

currency_rates_daily as (

    select * from {{ ref('int_currency_rates_daily') }}

),

as_of as (

    select * from {{ ref('int_as_of_date') }}

),

started_by_d as (

    select campaigns.*

    from campaigns
    cross join as_of
    where campaigns.starts_on <= as_of.as_of_date

),

with_duration as (

    select
        *,
        -- Both ends count: a campaign from the 1st to the 31st runs 31 days. (noqa: sqlfluff
        -- measures the multi-line output of dbt.datediff as one long line.)
        1 + {{ dbt.datediff('starts_on', 'ends_on', 'day') }} as duration_days  -- noqa: LT05

    from started_by_d

),

final as (

    select
        with_duration.campaign_id,
        with_duration.name,
        with_duration.starts_on,
        with_duration.ends_on,
        with_duration.offer,
        with_duration.target_tiers,
        with_duration.fixed_cost,
        with_duration.currency,
        {{ to_reporting_currency(
            'with_duration.fixed_cost',
            'with_duration.currency',
            'currency_rates_daily.conversion_factor'
        ) }} as fixed_cost_reporting,
        cast(with_duration.duration_days as {{ dbt.type_int() }}) as duration_days

    from with_duration
    left join currency_rates_daily
        on
            with_duration.starts_on = currency_rates_daily.rate_date
            and with_duration.currency = currency_rates_daily.currency

)

select * from final
