-- The as-of date D of this run, as one row (SPEC §4): every model that must ignore data after D
-- joins this model, so the rule lives in one place (macro as_of_date) and unit tests can pin D.
-- The dependency on transactions is declared even when var('as_of_date') is set, so the
-- lineage does not change with the vars:
-- depends_on: {{ ref('stg_transactions') }}
--
-- A table, not a view like the rest of the folder: without the var, D is the latest transaction
-- date, and as a view every model and test that joins D would scan all transactions again.
{{ config(materialized='table') }}

with

final as (

    select {{ as_of_date() }} as as_of_date

)

select * from final
