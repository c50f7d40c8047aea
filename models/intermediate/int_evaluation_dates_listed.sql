-- The dates at which customer state is evaluated (SPEC §5.1): D, for the current tables, and
-- every month end on or before D from the month end of the first signup, for the monthly
-- history. D's own month is in the history only when D is its last day (then it is not partial).
with

as_of as (

    select * from {{ ref('int_as_of_date') }}

),

customers as (

    select * from {{ ref('int_customer_records_selected') }}

),

calendar_bounds as (

    select
        min(customers.signup_date) as first_day,
        max(as_of.as_of_date) as last_day

    from customers
    cross join as_of

),

calendar as (

    {{ day_spine(
        "(select first_day from calendar_bounds)",
        "(select last_day from calendar_bounds)"
    ) }}

),

month_ends_before_d as (

    select calendar.date_day as evaluation_date

    from calendar
    cross join as_of
    where
        calendar.date_day = {{ dbt.last_day('calendar.date_day', 'month') }}
        and calendar.date_day < as_of.as_of_date

),

evaluation_dates as (

    select evaluation_date from month_ends_before_d

    union all

    select as_of_date as evaluation_date from as_of
    where as_of_date is not null

),

final as (

    select
        evaluation_dates.evaluation_date,
        evaluation_dates.evaluation_date = as_of.as_of_date as is_as_of_date,
        evaluation_dates.evaluation_date
        = {{ dbt.last_day('evaluation_dates.evaluation_date', 'month') }} as is_month_end

    from evaluation_dates
    cross join as_of

)

select * from final
