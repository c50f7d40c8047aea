"""Purchases and refunds: the organic buying behaviour of each customer.

A buyer makes a first purchase at or soon after signup, then buys at their own pace during
an active life, buys less often while drifting away, and finally stops. Purchases happen at
local hours with an evening peak. Amounts are lognormal by category, sized per customer and
expressed in the customer's local currency (or the one currency of a single-currency run).
A small share of purchases is refunded a few days later, in part or in full.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sample_data import reference as ref
from sample_data.population import (
    Customers,
    categorical,
    local_time_at_hour,
    sample_time_of_day,
)

IMMEDIATE_FIRST_PURCHASE = 0.45  # of buyers: first purchase in the signup session
FIRST_PURCHASE_DELAY_DAYS = 20.0  # mean delay for the others


@dataclass
class Purchases:
    """Transactions as parallel arrays (one entry per purchase or refund)."""

    customer: np.ndarray  # int32
    at: np.ndarray  # int64 UTC seconds
    kind: np.ndarray  # int8: 0 purchase, 1 refund
    amount: np.ndarray  # float64, customer's currency, rounded to the currency's minor unit
    category: np.ndarray  # int8
    store_kind: np.ndarray  # int8: web, app, store
    store_number: np.ndarray  # int8

    def __len__(self) -> int:
        return len(self.at)

    def take(self, index: np.ndarray) -> Purchases:
        return Purchases(**{k: v[index] for k, v in vars(self).items()})

    @staticmethod
    def concat(parts: list[Purchases]) -> Purchases:
        return Purchases(**{k: np.concatenate([vars(p)[k] for p in parts]) for k in vars(parts[0])})


def round_to_currency(amount: np.ndarray, currency: np.ndarray) -> np.ndarray:
    """Round to the currency's minor unit, never below one minor unit."""
    scale = 10.0 ** ref.CURRENCY_DECIMALS[currency]
    return np.maximum(np.round(amount * scale), 1.0) / scale


def draw_purchase_details(
    rng: np.random.Generator,
    customers: Customers,
    customer: np.ndarray,
    at: np.ndarray,
    *,
    allow_zero: bool,
) -> Purchases:
    """Category, amount and store of purchases made by `customer` at `at`."""
    n = len(customer)
    favourite = customers.favourite_category[customer]
    category = np.where(rng.random(n) < 0.6, favourite, categorical(rng, n, ref.CATEGORY_WEIGHTS))
    usd = (
        ref.CATEGORY_MEDIAN_USD[category]
        * np.exp(rng.standard_normal(n) * ref.CATEGORY_SIGMA[category])
        * customers.spend_factor[customer]
    )
    currency = customers.currency_of(customer)
    amount = round_to_currency(usd * ref.CURRENCY_PER_USD[currency], currency)
    if allow_zero:
        amount[rng.random(n) < ref.ZERO_AMOUNT_SHARE] = 0.0
    return Purchases(
        customer=customer.astype(np.int32),
        at=at.astype(np.int64),
        kind=np.zeros(n, dtype=np.int8),
        amount=amount,
        category=category,
        store_kind=categorical(rng, n, ref.STORE_KIND_WEIGHTS),
        store_number=rng.integers(0, ref.STORES_PER_REGION, size=n).astype(np.int8),
    )


def organic_purchases(rng: np.random.Generator, customers: Customers, end: int) -> Purchases:
    """Every buyer's organic purchases before `end`, ordered by time.

    Within the active life and the drifting phase purchases arrive as a Poisson process
    (the count is Poisson over the phase, the times uniform within it).
    """
    buyers = np.flatnonzero(customers.buyer)
    signup = customers.signup[buyers]
    nb = len(buyers)
    immediate = rng.random(nb) < IMMEDIATE_FIRST_PURCHASE
    delay = np.where(
        immediate,
        rng.integers(300, 2 * ref.HOUR, size=nb),
        (rng.exponential(FIRST_PURCHASE_DELAY_DAYS, size=nb) * ref.DAY).astype(np.int64),
    )
    first = signup + delay
    gap = customers.gap_days[buyers] * ref.DAY
    active_end = np.minimum(first + customers.active_days[buyers] * ref.DAY, end)
    drift_end = np.minimum(active_end + customers.drift_days[buyers] * ref.DAY, end)
    active_len = np.maximum(active_end - first, 0.0)
    drift_len = np.maximum(drift_end - active_end, 0.0)
    has_first = first < end

    # Three segments per buyer: the first purchase, the active life, the drifting phase.
    seg_start = np.stack([first, first, active_end], axis=1).ravel().astype(np.float64)
    seg_len = np.stack([np.zeros(nb), active_len, drift_len], axis=1).ravel()
    seg_count = np.stack(
        [
            has_first.astype(np.int64),
            rng.poisson(active_len / gap) * has_first,
            rng.poisson(drift_len / (gap * customers.drift_factor[buyers])) * has_first,
        ],
        axis=1,
    ).ravel()
    seg_buyer = np.repeat(buyers, 3)
    seg_kind = np.tile(np.array([0, 1, 2], dtype=np.int8), nb)

    customer = np.repeat(seg_buyer, seg_count).astype(np.int32)
    kind = np.repeat(seg_kind, seg_count)
    at = np.repeat(seg_start, seg_count) + rng.random(len(customer)) * np.repeat(seg_len, seg_count)
    at = at.astype(np.int64)

    # Purchases after the first follow the local-hour profile; the first one keeps the
    # time it happened (often minutes after signup).
    later = kind != 0
    offset = customers.offset_seconds[customer[later]]
    at[later] = local_time_at_hour(
        at[later], offset, sample_time_of_day(rng, int(later.sum()), ref.PURCHASE_HOUR_WEIGHTS)
    )
    at = np.maximum(at, customers.signup[customer] + 60)
    keep = at < end
    customer, at = customer[keep], at[keep]
    order = np.argsort(at, kind="stable")
    customer, at = customer[order], at[order]
    return draw_purchase_details(rng, customers, customer, at, allow_zero=True)


def refunds_for(
    rng: np.random.Generator, customers: Customers, purchases: Purchases, end: int
) -> Purchases:
    """Refunds of a share of the purchases: a few days later, at most the amount paid."""
    candidates = np.flatnonzero((purchases.kind == 0) & (purchases.amount > 0))
    refunded = candidates[rng.random(len(candidates)) < ref.REFUND_SHARE]
    source = purchases.take(refunded)
    n = len(refunded)
    currency = customers.currency_of(source.customer)
    partial = source.amount * rng.uniform(0.1, 0.95, size=n)
    scale = 10.0 ** ref.CURRENCY_DECIMALS[currency]
    # Rounded down so a partial refund never exceeds the purchase.
    partial = np.maximum(np.floor(partial * scale), 1.0) / scale
    amount = np.where(rng.random(n) < 0.5, source.amount, np.minimum(partial, source.amount))
    at = source.at + rng.integers(1 * ref.DAY, 14 * ref.DAY, size=n)
    keep = at < end
    source.kind = np.ones(n, dtype=np.int8)
    source.amount = amount
    source.at = at
    return source.take(np.flatnonzero(keep))
