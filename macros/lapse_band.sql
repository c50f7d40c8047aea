{#
    Lapse bands (SPEC §5.3): four bands split the dormant and lapsed range of R (days since
    the last qualifying purchase) at at_risk_days < band_edge_1 < dormant_days < band_edge_2.

      band 1 = (at_risk_days, band_edge_1]     default label 61-90
      band 2 = (band_edge_1, dormant_days]     default label 91-180
      band 3 = (dormant_days, band_edge_2]     default label 181-365
      band 4 = above band_edge_2               default label 366+

    The tier matrix is keyed by band number, so relabelling (other edges) never breaks it.
#}
{% macro lapse_band_number(r_days) -%}
    case
        when {{ r_days }} <= {{ var('at_risk_days') }} then null
        when {{ r_days }} <= {{ var('band_edge_1') }} then 1
        when {{ r_days }} <= {{ var('dormant_days') }} then 2
        when {{ r_days }} <= {{ var('band_edge_2') }} then 3
        when {{ r_days }} > {{ var('band_edge_2') }} then 4
    end
{%- endmacro %}

{#- The label of a band number, made from the var bounds at compile time. -#}
{% macro lapse_band_label(band_number) -%}
    {%- set at_risk_days = var('at_risk_days') | int -%}
    {%- set band_edge_1 = var('band_edge_1') | int -%}
    {%- set dormant_days = var('dormant_days') | int -%}
    {%- set band_edge_2 = var('band_edge_2') | int -%}
    case {{ band_number }}
        when 1 then '{{ at_risk_days + 1 }}-{{ band_edge_1 }}'
        when 2 then '{{ band_edge_1 + 1 }}-{{ dormant_days }}'
        when 3 then '{{ dormant_days + 1 }}-{{ band_edge_2 }}'
        when 4 then '{{ band_edge_2 + 1 }}+'
    end
{%- endmacro %}
