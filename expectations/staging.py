"""The staging views (models/staging).

The views over the landing sources rename and derive columns from the raw tables, whose
suites (``raw.py``) already check their keys, values, ranges and references; here they are
checked for what staging adds: the column types every model downstream relies on and the
derived columns. The reference seeds are checked in full: keys, accepted values, ranges.
Vocabularies come from the landing contract, never from a copy here."""

from __future__ import annotations

from expectations.spec import (
    Check,
    Suite,
    between,
    column_types,
    currency_code,
    not_null,
    one_of,
    rows,
    suite,
    unique,
)
from orchestration.contract import CONTROL_CHANNEL, LAPSE_REASON_GROUPS
from orchestration.lib.sql import sql_literal


def _contract_reason_groups() -> Check:
    codes = ", ".join(
        f"({sql_literal(code)}, {sql_literal(group)})"
        for group, group_codes in LAPSE_REASON_GROUPS.items()
        for code in group_codes
    )
    return Check(
        "every contract reason code is listed in its contract group",
        query=(
            f"with contract(reason_code, reason_group) as (values {codes}) "
            "select c.reason_code, c.reason_group as contract_group, b.reason_group "
            "from contract as c left join {table} as b on b.reason_code = c.reason_code "
            "where b.reason_group is distinct from c.reason_group"
        ),
        column="reason_group",
    )


SUITES: list[Suite] = [
    suite(
        "staging.stg_contacts",
        "staging",
        ("customer_id", "updated_at"),
        column_types(
            {
                "customer_id": "varchar",
                "full_name": "varchar",
                "email": "varchar",
                "phone": "varchar",
                "has_email": "boolean",
                "has_phone": "boolean",
                "region": "varchar",
                "acquisition_channel": "varchar",
                "signup_at": "timestamp",
                "signup_at_local": "timestamp",
                "signup_date": "date",
                "updated_at": "timestamp",
                "updated_at_local": "timestamp",
                "updated_date": "date",
                "is_sms_opt_in": "boolean",
                "is_email_opt_in": "boolean",
                "is_push_opt_in": "boolean",
                "is_phone_opt_in": "boolean",
                "loaded_at": "timestamp",
            }
        ),
        not_null("is_sms_opt_in", "is_email_opt_in", "is_push_opt_in", "is_phone_opt_in"),
        description="CRM record versions, one row per contact_id x updated_at.",
    ),
    suite(
        "staging.stg_transactions",
        "staging",
        ("transaction_id",),
        column_types(
            {
                "transaction_id": "varchar",
                "customer_id": "varchar",
                "occurred_at": "timestamp",
                "occurred_at_local": "timestamp",
                "occurred_date": "date",
                "occurred_month": "date",
                "kind": "varchar",
                "amount": "decimal(18,4)",
                "signed_amount": "decimal(18,4)",
                "currency": "varchar",
                "is_qualifying_purchase": "boolean",
                "store_or_channel": "varchar",
                "category": "varchar",
                "loaded_at": "timestamp",
            }
        ),
        not_null("signed_amount", "is_qualifying_purchase"),
        description="Purchases and refunds with local dates.",
    ),
    suite(
        "staging.stg_recall_touches",
        "staging",
        ("touch_id",),
        column_types(
            {
                "touch_id": "varchar",
                "customer_id": "varchar",
                "campaign_id": "varchar",
                "channel": "varchar",
                "is_control": "boolean",
                "sent_at": "timestamp",
                "sent_at_local": "timestamp",
                "sent_date": "date",
                "sent_month": "date",
                "opened_at": "timestamp",
                "opened_date": "date",
                "clicked_at": "timestamp",
                "clicked_date": "date",
                "is_delivery_reported": "boolean",
                "counts_as_delivered_date": "date",
                "counts_as_opened_date": "date",
                "counts_as_clicked_date": "date",
                "is_delivered": "boolean",
                "is_opened": "boolean",
                "is_clicked": "boolean",
                "outcome": "varchar",
                "lapse_reason_code": "varchar",
                "cost": "decimal(18,4)",
                "currency": "varchar",
                "loaded_at": "timestamp",
            }
        ),
        not_null("is_control", "is_delivered", "is_opened", "is_clicked"),
        rows(
            "a click counts as an open and an open as a delivery, from the same date on",
            "b.counts_as_opened_date > b.counts_as_clicked_date "
            "or b.counts_as_delivered_date > b.counts_as_opened_date "
            "or (b.is_clicked and not b.is_opened) or (b.is_opened and not b.is_delivered)",
            "is_delivered",
            "is_opened",
            "is_clicked",
            "counts_as_delivered_date",
            "counts_as_opened_date",
            "counts_as_clicked_date",
        ),
        rows(
            "control rows are holdouts: nothing sent, nothing delivered",
            f"b.is_control is distinct from (b.channel = {sql_literal(CONTROL_CHANNEL)}) "
            "or (b.is_control and b.is_delivered)",
            "channel",
            "is_control",
            "is_delivered",
        ),
        description="Outreach attempts and holdout assignments with their event dates.",
    ),
    suite(
        "staging.stg_campaigns",
        "staging",
        ("campaign_id",),
        column_types(
            {
                "campaign_id": "varchar",
                "name": "varchar",
                "starts_on": "date",
                "ends_on": "date",
                "offer": "varchar",
                "target_tiers": "varchar",
                "fixed_cost": "decimal(18,4)",
                "currency": "varchar",
            }
        ),
        description="Recall campaigns.",
    ),
    suite(
        "staging.stg_currency_rates",
        "staging",
        ("rate_date", "currency"),
        column_types(
            {"rate_date": "date", "currency": "varchar", "value_in_base": "decimal(18,8)"}
        ),
        not_null("rate_date", "currency", "value_in_base"),
        unique("rate_date", "currency"),
        rows("value_in_base > 0", "b.value_in_base <= 0", "value_in_base", column="value_in_base"),
        currency_code(),
        description="The currency rates seed (value of one unit in EUR by date).",
    ),
    suite(
        "staging.stg_channels",
        "staging",
        ("channel",),
        column_types({"channel": "varchar", "channel_label": "varchar", "is_outreach": "boolean"}),
        not_null("channel", "is_outreach"),
        unique("channel"),
        rows(
            f"only {CONTROL_CHANNEL} is not outreach",
            f"b.is_outreach = (b.channel = {sql_literal(CONTROL_CHANNEL)})",
            "is_outreach",
        ),
        Check(
            f"the holdout channel {CONTROL_CHANNEL} is listed",
            query=(
                f"select {sql_literal(CONTROL_CHANNEL)} as channel "
                f"where not exists (select 1 from {{table}} as b "
                f"where b.channel = {sql_literal(CONTROL_CHANNEL)})"
            ),
        ),
        description="The channels seed: the touch channels ingest accepts.",
    ),
    suite(
        "staging.stg_recall_tier_matrix",
        "staging",
        ("value_score", "band_number"),
        column_types(
            {"value_score": "integer", "band_number": "integer", "recall_tier": "integer"}
        ),
        unique("value_score", "band_number"),
        between("recall_tier", 1, 5),
        Check(
            "every value_score 1-5 x lapse band 1-4 has a tier",
            query=(
                "select s.value_score, n.band_number from range(1, 6) as s(value_score) "
                "cross join range(1, 5) as n(band_number) "
                "where not exists (select 1 from {table} as b where b.value_score = s.value_score "
                "and b.band_number = n.band_number and b.recall_tier is not null)"
            ),
        ),
        description="The recall tier matrix seed, one row per value_score x lapse band.",
    ),
    suite(
        "staging.stg_lapse_reasons",
        "staging",
        ("reason_code",),
        column_types(
            {"reason_code": "varchar", "reason_group": "varchar", "reason_label": "varchar"}
        ),
        not_null("reason_code", "reason_group"),
        unique("reason_code"),
        one_of("reason_group", LAPSE_REASON_GROUPS),
        _contract_reason_groups(),
        description="The lapse-reason taxonomy seed.",
    ),
]
