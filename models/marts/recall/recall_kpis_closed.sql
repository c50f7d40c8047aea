-- Month close (SPEC §8): the rows of recall_kpis_monthly kept as they stood when their month
-- became final, so finance can tell a closed figure from a current one and a later change
-- (late data, a replaced file) shows in recall_kpis_restatements instead of passing silently.
--
-- A month closes in two steps, as its figures become final. When the month is final
-- (is_final), its rows are appended with closed_on = D. Its retention columns are still
-- maturing then; when its retention is final (retention_is_final) they are taken once more,
-- with retention_closed_on = D, and the recall columns stay as they closed. A month whose
-- retention is already final when it closes takes both at once. Nothing else ever changes a
-- closed row.
--
-- Never rebuilt, not even by a full rebuild (full_refresh false): the closed figures are the
-- record a restatement is measured against. On Spark, where the table is rebuilt whole, the
-- rows of the last publication come in through closed_kpis_kept() and the rows this build
-- leaves as they stood are written again.
{{ config(
    materialized=incremental_where_supported(),
    unique_key='month',
    incremental_strategy='delete+insert',
    full_refresh=false,
    on_schema_change='append_new_columns',
) }}
{%- set keys = recall_kpi_columns('keys') %}
{%- set recall_columns = recall_kpi_columns('recall') %}
{%- set retention_columns = recall_kpi_columns('retention') %}
{%- set closed_columns = keys + recall_columns + retention_columns
    + ['is_final', 'retention_is_final', 'closed_on', 'retention_closed_on'] %}
{%- set kept = closed_kpis_kept() %}

with

kpis as (

    select * from {{ ref('recall_kpis_monthly') }}

),

as_of as (

    select * from {{ ref('int_as_of_date') }}

),

-- The rows earlier builds closed (none on a first build).
closed as (

    {% if is_incremental() -%}
    select * from {{ this }}
    {%- elif kept -%}
    select {{ closed_columns | join(', ') }} from {{ kept }}
    {%- else -%}
    select
        kpis.*,
        cast(null as date) as closed_on,
        cast(null as date) as retention_closed_on
    from kpis
    where false
    {%- endif %}

),

newly_closed as (

    select
        kpis.*,
        as_of.as_of_date as closed_on,
        case when kpis.retention_is_final then as_of.as_of_date end as retention_closed_on

    from kpis
    cross join as_of
    where
        kpis.is_final
        and kpis.month not in (select closed.month from closed)

),

retention_final_months as (

    select distinct month from kpis
    where retention_is_final

),

-- Closed months whose retention became final since: the recall columns as they closed, the
-- retention columns as they stand now (null for a row that no longer exists).
retention_closed as (

    select
        {%- for column in keys + recall_columns %}
        closed.{{ column }},
        {%- endfor %}
        {%- for column in retention_columns %}
        kpis.{{ column }},
        {%- endfor %}
        closed.is_final,
        true as retention_is_final,
        closed.closed_on,
        as_of.as_of_date as retention_closed_on

    from closed
    cross join as_of
    left join kpis
        on
            closed.month = kpis.month
            and closed.channel = kpis.channel
            and closed.recall_tier = kpis.recall_tier
            and closed.campaign_id = kpis.campaign_id
    where
        closed.retention_closed_on is null
        and closed.month in (select retention_final_months.month from retention_final_months)

),

-- Both parts in the table's column order (and, rebuilding the table whole, the closed rows
-- that stay as they were: every month whose retention did not close now).
final as (

    select {{ closed_columns | join(', ') }} from newly_closed
    union all
    select {{ closed_columns | join(', ') }} from retention_closed
    {%- if kept and not is_incremental() %}
    union all
    select {{ closed_columns | join(', ') }} from closed
    where closed.month not in (select retention_closed.month from retention_closed)
    {%- endif %}

)

select * from final
