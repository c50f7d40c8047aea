{#
    Small pieces the recall marts share (SPEC §6, §6.1).

    recall_tier_key: the recall tier as the text the KPI tables group by ('1'..'5'), with
    'unscored' for an eligible row that has no value score (so `all` rows stay the union of
    the tier rows).

    cumulative_cent_share: the part of `total` that falls on parts (parts_before, parts_through]
    of parts_total, cut to the cent by cumulative rounding. Consecutive parts add up to the
    total exactly: round(total × through / n) − round(total × before / n), each rounded half
    up in integer arithmetic (round_half_up_ratio). total has at most two decimals.
#}
{% macro recall_tier_key(recall_tier) -%}
    coalesce(cast({{ recall_tier }} as {{ dbt.type_string() }}), 'unscored')
{%- endmacro %}

{% macro cumulative_cent_share(total, parts_before, parts_through, parts_total) -%}
    {{ round_half_up_ratio('(' ~ total ~ ') * (' ~ parts_through ~ ')', parts_total) }}
    - {{ round_half_up_ratio('(' ~ total ~ ') * (' ~ parts_before ~ ')', parts_total) }}
{%- endmacro %}
