{#
    join_recall_tier: the tier lookup of SPEC §5.3, value_score × lapse band number →
    recall_tier in the seeded tier matrix, written once for every model that tiers a customer
    (customer_lifecycle at D, the lapsed pool at each month end, a touch at its send date).

    Emits a left join of `tier_matrix`, the model's import CTE of stg_recall_tier_matrix; the
    model then selects `<tier_matrix>.recall_tier`. A row without a value score or a band (not
    dormant or lapsed) finds no tier.
#}
{% macro join_recall_tier(tier_matrix, value_score, lapse_band_number) -%}
    left join {{ tier_matrix }}
        on
            {{ value_score }} = {{ tier_matrix }}.value_score
            and {{ lapse_band_number }} = {{ tier_matrix }}.band_number
{%- endmacro %}
