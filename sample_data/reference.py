"""The fixed vocabulary of the synthetic business: regions, currencies, channels, categories,
names, and the behaviour parameters (rates, costs, planted uplift) of the generated data.

Everything here is a constant, so a seed alone decides the output. The vocabulary of the
landing files (kinds, channels, outcomes, offers, lapse-reason codes) is the landing
contract's (`orchestration.contract`); the weights below follow its order.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from orchestration import contract

DAY = 86_400  # seconds
HOUR = 3_600

# The first date with a currency rate in seeds/currency_rates.csv: clean multi-currency
# activity never starts before it (a single-currency history may: amounts in the reporting
# currency need no rate), and the `no_rate_for_date` bad rows are dated before it.
FIRST_RATE_DATE = date(2022, 1, 3)

# --- Regions: each with a fixed UTC offset (minutes), its local currency and phone prefix.
REGIONS = ("us-east", "us-west", "canada", "uk", "eu-central", "brazil", "japan", "india")
REGION_OFFSET_MINUTES = np.array([-300, -480, -300, 0, 60, -180, 540, 330], dtype=np.int64)
REGION_OFFSET_TEXT = (
    "-05:00",
    "-08:00",
    "-05:00",
    "+00:00",
    "+01:00",
    "-03:00",
    "+09:00",
    "+05:30",
)
REGION_CURRENCY = np.array([1, 1, 3, 2, 0, 4, 5, 6], dtype=np.int8)  # index into CURRENCIES
REGION_PHONE_PREFIX = ("+1", "+1", "+1", "+44", "+49", "+55", "+81", "+91")
REGION_WEIGHTS = np.array([0.22, 0.15, 0.08, 0.12, 0.18, 0.09, 0.07, 0.09])

CURRENCIES = ("EUR", "USD", "GBP", "CAD", "BRL", "JPY", "INR")
# Local units per US dollar (rough, constant: amounts only need the right magnitude).
CURRENCY_PER_USD = np.array([0.92, 1.0, 0.79, 1.36, 5.2, 150.0, 83.0])
# Minor-unit decimals: yen amounts are whole numbers.
CURRENCY_DECIMALS = np.array([2, 2, 2, 2, 2, 0, 2], dtype=np.int64)
# The reporting currency ingest uses by default; the planted `dirty` counts assume it (or,
# in single-currency mode, the generated currency).
DEFAULT_REPORTING_CURRENCY = "USD"


def currency_index(code: str) -> int:
    """The index into CURRENCIES of `code`; ValueError naming the allowed codes otherwise."""
    if code not in CURRENCIES:
        raise ValueError(f"unknown currency {code!r}: use one of {', '.join(CURRENCIES)}")
    return CURRENCIES.index(code)


ACQUISITION_CHANNELS = ("organic", "paid_search", "social", "referral", "partner", "store")
ACQUISITION_WEIGHTS = np.array([0.30, 0.22, 0.18, 0.12, 0.08, 0.10])

FIRST_NAMES = (
    "Ana", "Ben", "Carla", "David", "Emma", "Felix", "Grace", "Hiro", "Isabel", "James",
    "Keiko", "Liam", "Maria", "Noah", "Olivia", "Pedro", "Priya", "Raj", "Sara", "Tom",
    "Uma", "Victor", "Wei", "Yuki", "Zoe", "Lucas", "Mia", "Arjun", "Chloe", "Mateo",
)  # fmt: skip
LAST_NAMES = (
    "Smith", "Johnson", "Brown", "Garcia", "Miller", "Martin", "Silva", "Santos", "Tanaka",
    "Sato", "Kumar", "Sharma", "Muller", "Schmidt", "Dubois", "Rossi", "Wilson", "Taylor",
    "Clark", "Lewis", "Walker", "Young", "King", "Wright", "Lopez", "Hill", "Green",
    "Adams", "Baker", "Nelson",
)  # fmt: skip
EMAIL_DOMAINS = ("example.com", "example.org", "example.net", "mail.example")

# Opt-in rates at signup: sms, email, push, phone.
OPT_IN_RATES = np.array([0.60, 0.70, 0.40, 0.50])

# --- Purchases: categories with a median basket in USD and a lognormal spread.
CATEGORIES = ("groceries", "apparel", "beauty", "electronics", "home", "services")
CATEGORY_MEDIAN_USD = np.array([35.0, 60.0, 40.0, 180.0, 80.0, 70.0])
CATEGORY_SIGMA = np.array([0.5, 0.6, 0.5, 0.8, 0.7, 0.5])
CATEGORY_WEIGHTS = np.array([0.30, 0.20, 0.15, 0.08, 0.12, 0.15])
# Where a purchase happens: web, app, or one of a region's stores.
STORE_KINDS = ("web", "app", "store")
STORE_KIND_WEIGHTS = np.array([0.35, 0.25, 0.40])
STORES_PER_REGION = 12

# Local hour of day of a purchase: an evening peak, so evening purchases in negative
# offsets land on the next UTC day (the SPEC §4 timezone edge).
PURCHASE_HOUR_WEIGHTS = np.array(
    [0.5, 0.2, 0.1, 0.05, 0.05, 0.1, 0.3, 0.6, 1.0, 1.5, 2.0, 2.5,
     3.0, 2.8, 2.5, 2.5, 2.7, 3.0, 3.5, 4.5, 5.0, 5.0, 3.5, 1.8]
)  # fmt: skip

REFUND_SHARE = 0.04  # of purchases with a positive amount
ZERO_AMOUNT_SHARE = 0.002  # free items: purchases that are not qualifying activity
TRANSACTION_KINDS = contract.TRANSACTION_KINDS

# --- Recall outreach.
CHANNELS = contract.TOUCH_CHANNELS
CONTROL = CHANNELS.index(contract.CONTROL_CHANNEL)
# How often a campaign picks each channel among those a customer allows.
CHANNEL_WEIGHTS = np.array([0.25, 0.15, 0.30, 0.10, 0.13, 0.04])
# Which opt-in allows each channel (index into sms, email, push, phone): messenger rides on
# the mobile-messaging (SMS) consent, and a visit needs none (-1), so every customer can be
# reached somehow.
CHANNEL_OPT_IN = np.array([0, 2, 1, 0, 3, -1])
# Cost of one touch in the campaign currency (USD-based in single-currency mode).
CHANNEL_COST = np.array([0.05, 0.001, 0.002, 0.03, 1.50, 12.00, 0.0])
COST_DECIMALS = 3  # touch costs are unit costs, finer than a minor unit (a push: $0.001)
# Messages (sms, push, email, messenger): delivery (an email that is not delivered
# bounced), open given delivery (NaN: opens are not tracked), click given delivery (a click
# on an untracked channel still counts as an open, SPEC §6).
MESSAGE_DELIVERED = np.array([0.96, 0.88, 0.96, 0.93])
MESSAGE_OPENED = np.array([np.nan, 0.12, 0.28, 0.65])
MESSAGE_CLICKED = np.array([0.05, 0.03, 0.04, 0.08])
EMAIL_UNSUBSCRIBED = 0.01
PUSH_RECEIPT_UNKNOWN = 0.02  # delivered left empty
OUTCOMES = contract.TOUCH_OUTCOMES
# Calls and visits: reached, no_answer, refused, wrong_number.
PHONE_OUTCOME_WEIGHTS = np.array([0.45, 0.35, 0.10, 0.10])
VISIT_OUTCOME_WEIGHTS = np.array([0.65, 0.25, 0.08, 0.02])
SECOND_RETRY_SHARE = 0.5  # of retried calls that are still unanswered

LAPSE_REASON_SHARE = 0.40  # of reached calls and visits
LEGACY_REASON_SHARE = 0.01  # of recorded reasons: a code from an older taxonomy
LEGACY_REASON_CODE = "other_legacy"
# The fixed codes of SPEC §6, with how often each reason is heard.
LAPSE_REASON_CODES = contract.LAPSE_REASON_CODES
LAPSE_REASON_WEIGHTS = np.array(
    [4, 8, 3, 5, 9, 2, 1, 3, 4, 5, 1, 8, 4, 3, 14, 7, 6, 13], dtype=float
)

CAMPAIGN_OFFERS = contract.CAMPAIGN_OFFERS
CAMPAIGN_OFFER_WEIGHTS = np.array([0.15, 0.30, 0.30, 0.15, 0.10])
CAMPAIGN_TARGET_TIERS = ("1|2", "1|2|3", "1|2|3|4", "1|2|3|4|5", "2|3", "2|3|4", "3|4|5")
CAMPAIGN_CURRENCIES = (1, 0)  # USD, EUR
CAMPAIGN_MONTHS = 24

# --- The planted truth (SPEC §6 "Effect").
DORMANT_AFTER_DAYS = 65  # safely above at_risk_days (60): every picked touch is eligible
ACTIVE_WITHIN_DAYS = 30  # mis-targeted touches go to customers who bought this recently
ATTRIBUTION_WINDOW_DAYS = 30
RETURN_WITHIN_DAYS = 29.5  # planted returns stay strictly inside the 30 x 24 h window
BASELINE_RETURN_PROBABILITY = 0.05
UPLIFT_BY_CHANNEL = {
    "sms": 0.03,
    "push": 0.01,
    "email": 0.02,
    "messenger": 0.025,
    "phone": 0.06,
    "visit": 0.08,
}
CONTROL_SHARE = 0.10
MISTARGETED_SHARE = 0.02
POOL_SHARE_RANGE = (0.10, 0.15)  # share of the dormant pool a campaign reaches
TOUCH_DAYS = 10  # touches go out in a campaign's first days

# --- Values of bad rows (--dirty-rate): each is invalid in exactly one way.
UNKNOWN_KINDS = ("chargeback", "exchange", "void")
UNKNOWN_CHANNELS = ("fax", "letter", "whatsapp")
UNKNOWN_CURRENCIES = ("ARS", "MXN", "XXX")
UNPARSEABLE_TIMESTAMPS = (
    "31/02/2026 25:61",
    "not a date",
    "2026-13-45T10:00:00",
    "0000-00-00 00:00:00",
    "soon",
)
NO_RATE_YEAR = 2021  # before FIRST_RATE_DATE: a valid timestamp without a currency rate
# The currency of the `no_rate_for_date` rows: an amount in the reporting currency needs no
# rate on any date (SPEC §4), so these rows carry a currency that is neither USD nor EUR
# (GBP, or CAD when every amount is in GBP anyway).
NO_RATE_CURRENCIES = (2, 3)  # GBP, CAD: index into CURRENCIES
FUTURE_YEAR = 2099  # after any plausible load time
UNKNOWN_CONTACTS = 5  # distinct contact ids that never arrive (rows referencing them park)
