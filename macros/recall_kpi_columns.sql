{#
    The figures of a recall_kpis_monthly row (SPEC §6.1), by when they become final: the recall
    columns when the month does (is_final), the retention columns when its retention does
    (retention_is_final). Month close (recall_kpis_closed) keeps each group as it stood at its
    own close, and recall_kpis_restatements compares both groups with the current figures.
#}
{% macro recall_kpi_columns(group) -%}
    {%- set columns = {
        'keys': ['month', 'channel', 'recall_tier', 'campaign_id'],
        'recall': [
            'lapsed_at_month_start', 'touches', 'contacted_customers', 'ineligible_touches',
            'ineligible_cost', 'delivered', 'opened', 'clicked', 'reached',
            'recalled_customers', 'recall_rate', 'treated_returned', 'treated_return_rate',
            'control_customers', 'control_returned', 'control_rate', 'lift', 'lift_ci_low',
            'lift_ci_high', 'lift_stratified', 'recalled_revenue', 'cost', 'cost_per_recall',
            'newly_lapsed', 'net_lapsed_change',
        ],
        'retention': ['retained_m1', 'retained_m2', 'retained_m3'],
    } -%}
    {{ return(columns[group]) }}
{%- endmacro %}
