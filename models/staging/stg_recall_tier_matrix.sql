with

recall_tier_matrix as (

    select * from {{ ref('recall_tier_matrix') }}

),

-- The seed is wide for editing (one column per lapse band); lookups want it long, keyed by
-- band number so that relabelling the bands never breaks the lookup.
unpivoted as (

    select
        value_score,
        1 as band_number,
        band_1 as recall_tier
    from recall_tier_matrix

    union all

    select
        value_score,
        2 as band_number,
        band_2 as recall_tier
    from recall_tier_matrix

    union all

    select
        value_score,
        3 as band_number,
        band_3 as recall_tier
    from recall_tier_matrix

    union all

    select
        value_score,
        4 as band_number,
        band_4 as recall_tier
    from recall_tier_matrix

),

final as (

    select
        cast(value_score as {{ dbt.type_int() }}) as value_score,
        cast(band_number as {{ dbt.type_int() }}) as band_number,
        cast(recall_tier as {{ dbt.type_int() }}) as recall_tier

    from unpivoted

)

select * from final
