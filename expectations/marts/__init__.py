"""The published marts of SPEC §9, one suite module each."""

from expectations.marts import (
    customer_lifecycle,
    customer_lifecycle_monthly,
    dim_campaigns,
    dim_customers,
    early_warning,
    fct_recall_touches,
    fct_transactions,
    lapse_reasons_monthly,
    lapse_tiers,
    lapsed_pool_monthly,
    lifecycle_flows_monthly,
    recall_kpis_closed,
    recall_kpis_monthly,
    recall_kpis_restatements,
)
from expectations.spec import Suite

SUITES: list[Suite] = [
    module.SUITE
    for module in (
        dim_customers,
        dim_campaigns,
        fct_transactions,
        fct_recall_touches,
        customer_lifecycle,
        customer_lifecycle_monthly,
        lifecycle_flows_monthly,
        lapse_tiers,
        recall_kpis_monthly,
        recall_kpis_closed,
        recall_kpis_restatements,
        lapse_reasons_monthly,
        early_warning,
        lapsed_pool_monthly,
    )
]
