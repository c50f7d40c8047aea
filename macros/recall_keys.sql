{#
    Small pieces the recall marts share (SPEC §6, §6.1).

    recall_tier_key: the recall tier as the text the KPI tables group by ('1'..'5'), with
    'unscored' for an eligible row that has no value score (so `all` rows stay the union of
    the tier rows).

    cumulative_cent_share: the part of `total` that falls on parts (parts_before, parts_through]
    of parts_total, cut to the cent by cumulative rounding. Consecutive parts add up to the
    total exactly: round(total × through / n) − round(total × before / n).
#}
{% macro recall_tier_key(recall_tier) -%}
    coalesce(cast({{ recall_tier }} as {{ dbt.type_string() }}), 'unscored')
{%- endmacro %}

{% macro cumulative_cent_share(total, parts_before, parts_through, parts_total) -%}
    cast(round(({{ total }}) * ({{ parts_through }}) / ({{ parts_total }}), 2) as decimal(18, 2))
    - cast(round(({{ total }}) * ({{ parts_before }}) / ({{ parts_total }}), 2) as decimal(18, 2))
{%- endmacro %}
