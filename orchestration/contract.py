"""The landing-file contract: the raw sources of the warehouse, their columns, the values
their enum-like columns allow, and the quarantine reason codes (SPEC §3).

This is the one home of that vocabulary: ingest parses and checks against it, the sample
generator writes it, and ``tests/contract`` checks the dbt sources
(``models/staging/_staging__sources.yml``) against it.

Landing files arrive under ``<landing>/<source>/`` as CSV (UTF-8, header row, comma
separated) or Parquet. Every file is read with the schema below; a file missing any of
these columns cannot be read and fails the run. Timestamps are ISO 8601 with a UTC offset
(``2026-01-31T23:30:00-05:00``); one without an offset is UTC. After ingest, timestamps
are stored as naive UTC ``TIMESTAMP`` values in the ``raw`` schema.
"""

from __future__ import annotations

from dataclasses import dataclass

# Logical column types: how ingest parses the text of a landing file.
TEXT = "text"
TIMESTAMP = "timestamp"  # ISO 8601, with or without offset -> naive UTC TIMESTAMP
DATE = "date"  # YYYY-MM-DD
BOOLEAN = "boolean"  # true/false (also 1/0, yes/no, t/f)
AMOUNT = "amount"  # decimal number, '.' as decimal separator -> DECIMAL(18,4)
RATE = "rate"  # a positive decimal number -> DECIMAL(18,8)

# The values of enum-like columns (SPEC §3). Channels are also reference data: ingest checks
# touches against seeds/channels.csv, which ships these and which users may extend.
TRANSACTION_KINDS = ("purchase", "refund")
CONTROL_CHANNEL = "control"  # a holdout assignment: nothing is sent
TOUCH_CHANNELS = ("sms", "push", "email", "messenger", "phone", "visit", CONTROL_CHANNEL)
TOUCH_OUTCOMES = ("reached", "no_answer", "refused", "wrong_number", "bounced", "unsubscribed")
CAMPAIGN_OFFERS = ("none", "coupon", "discount", "free_service", "credit_increase")

# The fixed lapse-reason codes by group (SPEC §6); seeds/lapse_reasons.csv labels them and may
# add codes, and a code in neither rolls up to `unmapped`.
LAPSE_REASON_GROUPS: dict[str, tuple[str, ...]] = {
    "poor_results": (
        "few_enquiries",
        "cost_too_high",
        "low_awareness",
        "budget_cut",
        "switched_provider",
        "disputed_charges",
    ),
    "circumstances": (
        "reorganisation",
        "product_change",
        "off_season",
        "competition",
        "site_rebuild",
    ),
    "service": ("service_dissatisfaction",),
    "contact_fatigue": ("too_many_calls",),
    "renewal": ("missed_renewal",),
    "price": ("price",),
    "quality": ("quality",),
    "involuntary": ("moved_or_involuntary",),
    "unknown": ("unknown",),
}
LAPSE_REASON_CODES: tuple[str, ...] = tuple(
    code for codes in LAPSE_REASON_GROUPS.values() for code in codes
)

# Why a row was quarantined, in the order that decides a row's one reason (a row breaking
# several rules gets the first). Part of the contract with whoever reads the quarantine.
# `too_long` comes first: an overlong value says the row itself is malformed (a pasted blob,
# shifted columns), so its other problems say little, and no reference data can fix it.
REASONS: tuple[str, ...] = (
    "too_long",
    "missing_key",
    "missing_required",
    "unparseable_timestamp",
    "unparseable_date",
    "unparseable_amount",
    "invalid_boolean",
    "unknown_kind",
    "unknown_channel",
    "unknown_outcome",
    "unknown_offer",
    "unknown_currency",
    "no_rate_for_date",
    "missing_amount",
    "negative_amount",
    "non_positive_rate",
    "future_timestamp",
    "conflicting_duplicate",
)

# Reasons that say reference data was missing (rates, channels), not that the row is wrong:
# such rows are re-checked on every run and load once the reference data arrives.
RECHECKED_REASONS: tuple[str, ...] = ("unknown_channel", "unknown_currency", "no_rate_for_date")


# The longest text a column may hold, in characters (SPEC §3: longer is `too_long`). Ids and
# codes: the keys, the enum-like columns, currency, the lapse-reason code, and the free codes
# (acquisition_channel, store_or_channel, category, target_tiers, a list of tier codes).
# email and phone have no limit: SPEC §3 sets none, and a contact quarantined for one would
# take its transactions and touches with it (they park until it loads).
ID_OR_CODE_MAX_LENGTH = 64
REGION_MAX_LENGTH = 64
NAME_MAX_LENGTH = 200


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    required: bool = False  # an empty value sends the row to quarantine
    max_length: int | None = None  # in characters, after trimming; longer is `too_long`


@dataclass(frozen=True)
class Source:
    name: str  # folder under the landing directory and table name in the raw schema
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # identifies a row: same key with other content is a conflict
    has_contact_fk: bool  # rows whose contact_id is not yet known are parked

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


CONTACTS = Source(
    name="contacts",
    columns=(
        Column("contact_id", TEXT, required=True, max_length=ID_OR_CODE_MAX_LENGTH),
        Column("full_name", TEXT, max_length=NAME_MAX_LENGTH),
        Column("email", TEXT),
        Column("phone", TEXT),
        Column("region", TEXT, max_length=REGION_MAX_LENGTH),
        Column("signup_at", TIMESTAMP, required=True),
        Column("acquisition_channel", TEXT, max_length=ID_OR_CODE_MAX_LENGTH),
        Column("sms_opt_in", BOOLEAN),
        Column("email_opt_in", BOOLEAN),
        Column("push_opt_in", BOOLEAN),
        Column("phone_opt_in", BOOLEAN),
        Column("updated_at", TIMESTAMP, required=True),
    ),
    key=("contact_id", "updated_at"),
    has_contact_fk=False,
)

TRANSACTIONS = Source(
    name="transactions",
    columns=(
        Column("transaction_id", TEXT, required=True, max_length=ID_OR_CODE_MAX_LENGTH),
        Column("contact_id", TEXT, required=True, max_length=ID_OR_CODE_MAX_LENGTH),
        Column("occurred_at", TIMESTAMP, required=True),
        Column("kind", TEXT, required=True, max_length=ID_OR_CODE_MAX_LENGTH),
        Column("amount", AMOUNT, required=True),
        Column("currency", TEXT, required=True, max_length=ID_OR_CODE_MAX_LENGTH),
        Column("store_or_channel", TEXT, max_length=ID_OR_CODE_MAX_LENGTH),
        Column("category", TEXT, max_length=ID_OR_CODE_MAX_LENGTH),
    ),
    key=("transaction_id",),
    has_contact_fk=True,
)

RECALL_TOUCHES = Source(
    name="recall_touches",
    columns=(
        Column("touch_id", TEXT, required=True, max_length=ID_OR_CODE_MAX_LENGTH),
        Column("contact_id", TEXT, required=True, max_length=ID_OR_CODE_MAX_LENGTH),
        Column("campaign_id", TEXT, required=True, max_length=ID_OR_CODE_MAX_LENGTH),
        Column("channel", TEXT, required=True, max_length=ID_OR_CODE_MAX_LENGTH),
        Column("sent_at", TIMESTAMP, required=True),
        Column("delivered", BOOLEAN),
        Column("opened_at", TIMESTAMP),
        Column("clicked_at", TIMESTAMP),
        Column("outcome", TEXT, max_length=ID_OR_CODE_MAX_LENGTH),
        Column("lapse_reason_code", TEXT, max_length=ID_OR_CODE_MAX_LENGTH),
        Column("cost", AMOUNT, required=True),
        Column("currency", TEXT, required=True, max_length=ID_OR_CODE_MAX_LENGTH),
    ),
    key=("touch_id",),
    has_contact_fk=True,
)

CAMPAIGNS = Source(
    name="campaigns",
    columns=(
        Column("campaign_id", TEXT, required=True, max_length=ID_OR_CODE_MAX_LENGTH),
        Column("name", TEXT, max_length=NAME_MAX_LENGTH),
        Column("starts_on", DATE, required=True),
        Column("ends_on", DATE, required=True),
        Column("offer", TEXT, required=True, max_length=ID_OR_CODE_MAX_LENGTH),
        # Pipe-separated tiers, e.g. "1|2|3".
        Column("target_tiers", TEXT, max_length=ID_OR_CODE_MAX_LENGTH),
        Column("fixed_cost", AMOUNT, required=True),
        Column("currency", TEXT, required=True, max_length=ID_OR_CODE_MAX_LENGTH),
    ),
    key=("campaign_id",),
    has_contact_fk=False,
)

# Optional: rates that extend the currency_rates seed (and override it for the same date and
# currency), for histories older than the seed or currencies it lacks (SPEC §4). Values are
# in the seed's base currency.
CURRENCY_RATES = Source(
    name="currency_rates",
    columns=(
        Column("rate_date", DATE, required=True),
        Column("currency", TEXT, required=True, max_length=ID_OR_CODE_MAX_LENGTH),
        Column("value_in_base", RATE, required=True),
    ),
    key=("rate_date", "currency"),
    has_contact_fk=False,
)

# Load order matters: rates first, so this run's rates convert this run's amounts; contacts
# before the sources that reference them, so those rows are not parked needlessly.
SOURCES: tuple[Source, ...] = (CURRENCY_RATES, CONTACTS, CAMPAIGNS, TRANSACTIONS, RECALL_TOUCHES)
SOURCES_BY_NAME = {s.name: s for s in SOURCES}
