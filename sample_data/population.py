"""The customers of the synthetic business and the CRM versions of their contact records.

Customers sign up over the history window at a growing pace; each has a home region (fixed
UTC offset and local currency, unless every amount is in one currency), an acquisition
channel, opt-ins, and the buying habits the purchase simulation uses. Every customer has a
first contact version at signup and a few later versions that mostly withdraw opt-ins,
sometimes change the email address or phone number, and rarely move a US customer between
coasts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sample_data import reference as ref

PROSPECT_SHARE = 0.15  # customers who sign up and never buy
SIGNUP_GROWTH = 2.0  # signups per day at the end of the history / at its start
EXTRA_VERSIONS_MEAN = 0.8


@dataclass
class Customers:
    """One entry per customer, ordered by signup (index i is contact C{i+1})."""

    signup: np.ndarray  # int64 UTC seconds
    region: np.ndarray  # int8 home region
    acquisition: np.ndarray  # int8
    buyer: np.ndarray  # bool: False for prospects
    first_name: np.ndarray  # int16
    last_name: np.ndarray  # int16
    gap_days: np.ndarray  # mean days between purchases while active
    active_days: np.ndarray  # length of the active life (inf: never drifts)
    drift_days: np.ndarray  # length of the drifting phase that follows
    drift_factor: np.ndarray  # how much longer gaps are while drifting
    favourite_category: np.ndarray  # int8
    spend_factor: np.ndarray  # customer's basket size relative to the category median
    # Index into CURRENCIES of every amount (single-currency mode); -1: the home region's.
    single_currency: int = -1

    def __len__(self) -> int:
        return len(self.signup)

    def currency_of(self, customer: np.ndarray) -> np.ndarray:
        """The currency (int8 index into CURRENCIES) of the amounts of each `customer`."""
        if self.single_currency < 0:
            return ref.REGION_CURRENCY[self.region[customer]]
        return np.full(len(customer), self.single_currency, dtype=np.int8)

    @property
    def offset_seconds(self) -> np.ndarray:
        return ref.REGION_OFFSET_MINUTES[self.region] * 60


@dataclass
class ContactVersions:
    """Contact record versions ordered by (customer, updated_at)."""

    customer: np.ndarray  # int32
    updated: np.ndarray  # int64 UTC seconds
    region: np.ndarray  # int8 region on this version
    email_number: np.ndarray  # int32: the digits in the email address
    email_domain: np.ndarray  # int8
    phone_number: np.ndarray  # int32: seven local digits
    opt_in: np.ndarray  # bool (n, 4): sms, email, push, phone

    def __len__(self) -> int:
        return len(self.customer)

    def lookup_keys(self) -> np.ndarray:
        """Sort keys (customer, updated_at) for finding the version in force at a time."""
        return (self.customer.astype(np.int64) << 32) | self.updated

    def opt_ins_at(self, customers: np.ndarray, at: np.ndarray | int) -> np.ndarray:
        """Opt-ins (n, 4) of each customer from the latest version updated at or before `at`."""
        keys = self.lookup_keys()
        wanted = (customers.astype(np.int64) << 32) | np.asarray(at, dtype=np.int64)
        rows = np.searchsorted(keys, wanted, side="right") - 1
        # Every customer's first version is its signup, so a signed-up customer always
        # finds a version of its own; anything else is a caller error.
        if len(rows) and (rows.min() < 0 or (self.customer[rows] != customers).any()):
            raise ValueError("opt-ins requested before a customer's signup")
        return self.opt_in[rows]


def local_time_at_hour(
    utc: np.ndarray, offset_seconds: np.ndarray, seconds_into_day: np.ndarray
) -> np.ndarray:
    """Move each UTC instant to the given time of day on the same local calendar day."""
    local_day = (utc + offset_seconds) // ref.DAY
    return local_day * ref.DAY + seconds_into_day - offset_seconds


def categorical(rng: np.random.Generator, n: int, weights: np.ndarray) -> np.ndarray:
    """n draws of category indices with the given (unnormalised) weights.

    Like `rng.choice(len(weights), n, p=...)` without its per-call checks, which dominate
    at tens of millions of draws.
    """
    cumulative = np.cumsum(weights, dtype=np.float64)
    cumulative /= cumulative[-1]
    drawn = np.searchsorted(cumulative, rng.random(n), side="right")
    return np.minimum(drawn, len(weights) - 1).astype(np.int8)


def sample_time_of_day(rng: np.random.Generator, n: int, hour_weights: np.ndarray) -> np.ndarray:
    """Seconds into the local day, with hours drawn from `hour_weights`."""
    hours = categorical(rng, n, hour_weights).astype(np.int64)
    return hours * ref.HOUR + rng.integers(0, ref.HOUR, size=n)


def make_customers(
    rng: np.random.Generator, n: int, start: int, end: int, *, single_currency: int = -1
) -> Customers:
    """Customers signing up in [start, end) (UTC seconds), more of them as time goes on.

    `single_currency` (an index into CURRENCIES) puts all their amounts in that currency;
    -1 keeps each home region's currency."""
    # Inverse CDF of a density growing exponentially by SIGNUP_GROWTH over the window.
    k = np.log(SIGNUP_GROWTH)
    x = np.log1p(rng.random(n) * (SIGNUP_GROWTH - 1.0)) / k
    region = categorical(rng, n, ref.REGION_WEIGHTS)
    offset = ref.REGION_OFFSET_MINUTES[region] * 60
    raw = start + (x * (end - start)).astype(np.int64)
    signup = local_time_at_hour(raw, offset, sample_time_of_day(rng, n, ref.PURCHASE_HOUR_WEIGHTS))
    signup = np.clip(signup, start, end - 1)
    order = np.argsort(signup, kind="stable")

    def sorted_(a: np.ndarray) -> np.ndarray:
        return a[order]

    active = rng.lognormal(np.log(330.0), 0.9, size=n)
    # A quarter of buyers stay loyal for the whole history.
    active[rng.random(n) < 0.25] = np.inf
    return Customers(
        signup=signup[order],
        region=region[order],
        acquisition=sorted_(categorical(rng, n, ref.ACQUISITION_WEIGHTS)),
        buyer=sorted_(rng.random(n) >= PROSPECT_SHARE),
        first_name=sorted_(rng.integers(0, len(ref.FIRST_NAMES), size=n).astype(np.int16)),
        last_name=sorted_(rng.integers(0, len(ref.LAST_NAMES), size=n).astype(np.int16)),
        gap_days=sorted_(np.clip(rng.lognormal(np.log(16.0), 0.55, size=n), 10.0, 120.0)),
        active_days=sorted_(active),
        drift_days=sorted_(rng.lognormal(np.log(150.0), 0.6, size=n)),
        drift_factor=sorted_(rng.uniform(2.5, 5.0, size=n)),
        favourite_category=sorted_(categorical(rng, n, ref.CATEGORY_WEIGHTS)),
        spend_factor=sorted_(rng.lognormal(0.0, 0.3, size=n)),
        single_currency=single_currency,
    )


def _forward_fill(values: np.ndarray, is_set: np.ndarray) -> np.ndarray:
    """Each row takes the value of the latest row at or before it where `is_set` holds.

    Rows are grouped by customer and each customer's first row is always set, so a value
    never leaks from one customer into the next.
    """
    source = np.where(is_set, np.arange(len(values)), 0)
    np.maximum.accumulate(source, out=source)
    return values[source]


def _make_strictly_increasing(customer: np.ndarray, updated: np.ndarray) -> None:
    """Nudge tied versions of one customer a second apart: (contact_id, updated_at) is the
    key of a contact version, so two versions may never share a timestamp."""
    while True:
        tied = np.flatnonzero((customer[1:] == customer[:-1]) & (updated[1:] <= updated[:-1])) + 1
        if not len(tied):
            return
        updated[tied] = updated[tied - 1] + 1


def make_contact_versions(
    rng: np.random.Generator, customers: Customers, end: int
) -> ContactVersions:
    """Version 1 at signup, then 1 + Poisson(0.8) versions in total per customer."""
    n = len(customers)
    versions = 1 + rng.poisson(EXTRA_VERSIONS_MEAN, size=n)
    # A customer who signed up on the last day has had no time to change anything yet.
    versions[customers.signup > end - ref.DAY] = 1
    total = int(versions.sum())
    customer = np.repeat(np.arange(n, dtype=np.int32), versions)
    first = np.zeros(total, dtype=bool)
    first[np.cumsum(versions) - versions] = True

    signup = customers.signup[customer]
    # Later versions fall anywhere between signup and the end of the history.
    later = signup + 1 + (rng.random(total) * (end - 2 - signup)).astype(np.int64)
    updated = np.where(first, signup, later)
    order = np.lexsort((updated, customer))
    customer, updated, first = customer[order], updated[order], first[order]
    _make_strictly_increasing(customer, updated)

    # What each later version changes; version 1 sets every field.
    change = rng.random(total)
    opt_event = ~first & (change < 0.75)
    email_event = ~first & (change >= 0.75) & (change < 0.90)
    phone_event = ~first & (change >= 0.90) & (change < 0.97)
    region_event = ~first & (change >= 0.97)

    home = customers.region[customer]
    # Only US customers move (between coasts), so the local currency never changes.
    moved = np.where(home == 0, 1, np.where(home == 1, 0, home)).astype(np.int8)
    region = _forward_fill(np.where(first, home, moved), first | region_event)

    email_number = _forward_fill(
        rng.integers(1, 1000, size=total).astype(np.int32), first | email_event
    )
    email_domain = _forward_fill(
        rng.integers(0, len(ref.EMAIL_DOMAINS), size=total).astype(np.int8), first | email_event
    )
    phone_number = _forward_fill(
        rng.integers(0, 10_000_000, size=total).astype(np.int32), first | phone_event
    )

    opt_in = np.empty((total, 4), dtype=bool)
    initial = rng.random((total, 4)) < ref.OPT_IN_RATES
    which = rng.integers(0, 4, size=total)
    # Most opt-in changes are opt-outs.
    new_value = rng.random(total) < 0.2
    for channel in range(4):
        event = opt_event & (which == channel)
        opt_in[:, channel] = _forward_fill(
            np.where(first, initial[:, channel], new_value), first | event
        )

    return ContactVersions(
        customer=customer,
        updated=updated,
        region=region,
        email_number=email_number,
        email_domain=email_domain,
        phone_number=phone_number,
        opt_in=opt_in,
    )
