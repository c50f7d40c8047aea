-- Every amount converts to the reporting currency (SPEC §4). Ingest checks each row against
-- the rates when it loads, so a failure means the reporting currency or the rates changed
-- since: each row returned names a table, a currency and the dates that need rates (in the
-- seed or a landed currency_rates file).
with

transactions as (

    select * from {{ ref('fct_transactions') }}

),

recall_touches as (

    select * from {{ ref('fct_recall_touches') }}

),

campaigns as (

    select * from {{ ref('dim_campaigns') }}

),

unconverted as (

    select
        'fct_transactions' as table_name,
        currency,
        min(occurred_date) as first_date,
        max(occurred_date) as last_date,
        count(*) as row_count

    from transactions
    where amount_reporting is null
    group by currency

    union all

    select
        'fct_recall_touches' as table_name,
        currency,
        min(sent_date) as first_date,
        max(sent_date) as last_date,
        count(*) as row_count

    from recall_touches
    where cost_reporting is null
    group by currency

    union all

    select
        'dim_campaigns' as table_name,
        currency,
        min(starts_on) as first_date,
        max(starts_on) as last_date,
        count(*) as row_count

    from campaigns
    where fixed_cost_reporting is null
    group by currency

),

final as (

    select
        table_name,
        currency,
        '{{ var("reporting_currency") }}' as reporting_currency,
        first_date,
        last_date,
        row_count

    from unconverted

)

select * from final
