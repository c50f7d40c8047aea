"""Recall campaigns, their outreach, and the planted effect of that outreach.

One win-back campaign runs per month. At each campaign start the dormant or lapsed customers
(more than 65 days since their last qualifying purchase, counting every purchase made so far,
earlier win-backs included) form the pool. A share of the pool is picked; a tenth of those
go to the campaign's holdout (a `control` row, nothing sent) and the rest are contacted on one
channel they allow, in the campaign's first ten days. Unanswered calls are retried. A small
share of touches goes to recently active customers by mistake.

The planted truth: a picked customer comes back (a qualifying purchase within 30 x 24 h of
their first touch or control row) with probability p0 when held out and p0 + uplift[channel]
when contacted, and makes no other purchase in that window. A customer who comes back buys
again a few times over the following weeks, so retention is measurable.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import numpy as np

from sample_data import reference as ref
from sample_data.population import (
    ContactVersions,
    Customers,
    local_time_at_hour,
    sample_time_of_day,
)
from sample_data.purchases import (
    Purchases,
    draw_purchase_details,
    round_to_currency,
)

NO_TIME = -1  # an absent timestamp (opened_at, clicked_at)
FOLLOW_UPS_MEAN = 2.5
FOLLOW_UP_MAX_GAP_DAYS = 50.0  # below the dormancy threshold: a returned customer stays active
WINDOW = ref.ATTRIBUTION_WINDOW_DAYS * ref.DAY


def epoch(d: date) -> int:
    """UTC midnight at the start of `d`, in seconds."""
    return int(datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp())


@dataclass
class Campaigns:
    campaign_id: list[str]
    name: list[str]
    starts_on: list[date]
    ends_on: list[date]
    offer: list[str]
    target_tiers: list[str]
    fixed_cost: list[float]
    currency: list[int]  # index into CURRENCIES
    touch_cost: list[np.ndarray]  # cost of one touch per channel, in the campaign currency

    def __len__(self) -> int:
        return len(self.campaign_id)


@dataclass
class Touches:
    """Touch and control rows as parallel arrays."""

    customer: np.ndarray  # int32
    campaign: np.ndarray  # int16 index into Campaigns
    channel: np.ndarray  # int8 index into CHANNELS
    sent: np.ndarray  # int64 UTC seconds
    delivered: np.ndarray  # int8: 1 true, 0 false, -1 empty
    opened: np.ndarray  # int64 or NO_TIME
    clicked: np.ndarray  # int64 or NO_TIME
    outcome: np.ndarray  # int8 index into OUTCOMES or -1
    reason: np.ndarray  # int8 index into LAPSE_REASON_CODES (+ legacy) or -1
    cost: np.ndarray  # float64, campaign currency
    currency: np.ndarray  # int8

    def __len__(self) -> int:
        return len(self.sent)

    def take(self, index: np.ndarray) -> Touches:
        return Touches(**{k: v[index] for k, v in vars(self).items()})

    @staticmethod
    def concat(parts: list[Touches]) -> Touches:
        return Touches(**{k: np.concatenate([vars(p)[k] for p in parts]) for k in vars(parts[0])})


@dataclass
class RecallResult:
    touches: Touches
    purchases: Purchases  # organic purchases left after the planted windows, plus returns
    planted: dict[str, dict] = field(default_factory=dict)
    mistargeted_first_touches: int = 0  # first touches of customers who were not dormant


def make_campaigns(
    rng: np.random.Generator, first_allowed: date, end_date: date, *, single_currency: int = -1
) -> Campaigns:
    """One campaign per month for the last CAMPAIGN_MONTHS months up to `end_date`'s month.

    Each campaign is paid in USD or EUR, its costs taken as they are in that currency; with
    `single_currency` (an index into CURRENCIES) every campaign is paid in that currency,
    its costs converted from USD (fixed costs rounded to the minor unit, touch costs to
    COST_DECIMALS). The random draws are the same either way.
    """
    months: list[date] = []
    year, month = end_date.year, end_date.month
    for _ in range(ref.CAMPAIGN_MONTHS):
        start = date(year, month, 1)
        if start < first_allowed:
            break
        months.append(start)
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    months.reverse()
    campaigns = Campaigns([], [], [], [], [], [], [], [], [])
    for start in months:
        last_day = calendar.monthrange(start.year, start.month)[1]
        if rng.random() < 0.4:
            # Runs on into the middle of the next month.
            ny, nm = (start.year, start.month + 1) if start.month < 12 else (start.year + 1, 1)
            ends = date(ny, nm, 15)
        else:
            ends = date(start.year, start.month, last_day)
        campaigns.campaign_id.append(f"CMP-{start:%Y-%m}")
        campaigns.name.append(f"Win-back {start:%B %Y}")
        campaigns.starts_on.append(start)
        campaigns.ends_on.append(ends)
        campaigns.offer.append(
            ref.CAMPAIGN_OFFERS[rng.choice(len(ref.CAMPAIGN_OFFERS), p=ref.CAMPAIGN_OFFER_WEIGHTS)]
        )
        campaigns.target_tiers.append(
            ref.CAMPAIGN_TARGET_TIERS[rng.integers(len(ref.CAMPAIGN_TARGET_TIERS))]
        )
        fixed_cost = float(rng.integers(50, 500)) * 10.0
        currency = ref.CAMPAIGN_CURRENCIES[rng.integers(2)]
        touch_cost = ref.CHANNEL_COST
        if single_currency >= 0:
            currency = single_currency
            per_usd = ref.CURRENCY_PER_USD[currency]
            fixed_cost = float(
                round_to_currency(np.array([fixed_cost * per_usd]), np.array([currency]))[0]
            )
            touch_cost = np.round(ref.CHANNEL_COST * per_usd, ref.COST_DECIMALS)
        campaigns.fixed_cost.append(fixed_cost)
        campaigns.currency.append(currency)
        campaigns.touch_cost.append(touch_cost)
    return campaigns


def _choose_channels(rng: np.random.Generator, opt_in: np.ndarray) -> np.ndarray:
    """One outreach channel per customer, weighted among the channels they allow."""
    n = len(opt_in)
    allowed = np.ones((n, len(ref.CHANNEL_WEIGHTS)), dtype=bool)
    for channel, consent in enumerate(ref.CHANNEL_OPT_IN):
        if consent >= 0:
            allowed[:, channel] = opt_in[:, consent]
    weights = np.cumsum(allowed * ref.CHANNEL_WEIGHTS, axis=1)
    draw = rng.random(n) * weights[:, -1]
    return (weights > draw[:, None]).argmax(axis=1).astype(np.int8)


def _business_hours_after(
    rng: np.random.Generator, calendar_day: np.ndarray, offset: np.ndarray, days: np.ndarray
) -> np.ndarray:
    """A UTC instant between 09:00 and 20:00 local time, `days` days after the local
    calendar day `calendar_day` (given as the epoch seconds of its midnight)."""
    local_midnight = calendar_day - offset
    return (
        local_midnight + days * ref.DAY + rng.integers(9 * ref.HOUR, 20 * ref.HOUR, size=len(days))
    )


def _touch_details(
    rng: np.random.Generator,
    customer: np.ndarray,
    campaign: int,
    channel: np.ndarray,
    sent: np.ndarray,
    currency: int,
    touch_cost: np.ndarray,
    end: int,
) -> Touches:
    """Delivery, opens, clicks, outcomes, lapse reasons and costs of touches (`touch_cost`
    per channel, in `currency`)."""
    n = len(customer)
    delivered = np.zeros(n, dtype=np.int8)
    opened = np.full(n, NO_TIME, dtype=np.int64)
    clicked = np.full(n, NO_TIME, dtype=np.int64)
    outcome = np.full(n, -1, dtype=np.int8)
    reason = np.full(n, -1, dtype=np.int8)
    u = rng.random((n, 5))

    message = channel <= 3
    is_email = channel == 2
    is_push = channel == 1
    msg_ch = np.minimum(channel, 3)
    got = message & (u[:, 0] < ref.MESSAGE_DELIVERED[msg_ch])
    bounced = is_email & ~got
    delivered[got] = 1
    outcome[bounced] = ref.OUTCOMES.index("bounced")
    # Some push receipts never come back: delivery unknown, opens still recorded.
    unknown = is_push & (u[:, 4] < ref.PUSH_RECEIPT_UNKNOWN)
    delivered[unknown] = -1

    open_rate = np.nan_to_num(ref.MESSAGE_OPENED[msg_ch], nan=0.0)
    tracked = ~np.isnan(ref.MESSAGE_OPENED[msg_ch])
    is_open = message & got & tracked & (u[:, 1] < open_rate)
    # Clicks on tracked channels come after an open; on SMS nothing records the open.
    click_rate = np.where(
        tracked,
        ref.MESSAGE_CLICKED[msg_ch] / np.where(tracked, open_rate, 1.0),
        ref.MESSAGE_CLICKED[msg_ch],
    )
    is_click = message & got & np.where(tracked, is_open, True) & (u[:, 2] < click_rate)
    open_at = sent + 60 + (rng.exponential(5.0, size=n) * ref.HOUR).astype(np.int64)
    click_at = (
        np.where(is_open, open_at, sent)
        + 10
        + (rng.exponential(0.25, size=n) * ref.HOUR).astype(np.int64)
    )
    opened[is_open] = open_at[is_open]
    clicked[is_click] = click_at[is_click]
    unsubscribed = is_email & got & (u[:, 3] < ref.EMAIL_UNSUBSCRIBED)
    outcome[unsubscribed] = ref.OUTCOMES.index("unsubscribed")

    for ch, weights in ((4, ref.PHONE_OUTCOME_WEIGHTS), (5, ref.VISIT_OUTCOME_WEIGHTS)):
        rows = np.flatnonzero(channel == ch)
        drawn = rng.choice(4, size=len(rows), p=weights).astype(np.int8)
        outcome[rows] = drawn
        # A refusal is still a conversation: the call or visit got through.
        delivered[rows] = np.isin(drawn, (0, 2)).astype(np.int8)
    reached = (channel >= 4) & (channel <= 5) & (outcome == 0)
    with_reason = np.flatnonzero(reached & (u[:, 3] < ref.LAPSE_REASON_SHARE))
    codes = rng.choice(
        len(ref.LAPSE_REASON_CODES),
        size=len(with_reason),
        p=ref.LAPSE_REASON_WEIGHTS / ref.LAPSE_REASON_WEIGHTS.sum(),
    )
    legacy = rng.random(len(with_reason)) < ref.LEGACY_REASON_SHARE
    reason[with_reason] = np.where(legacy, len(ref.LAPSE_REASON_CODES), codes)

    control = channel == ref.CONTROL
    delivered[control] = 0
    # Events after the end of the history have not happened yet.
    opened[opened >= end] = NO_TIME
    clicked[clicked >= end] = NO_TIME
    return Touches(
        customer=customer.astype(np.int32),
        campaign=np.full(n, campaign, dtype=np.int16),
        channel=channel.astype(np.int8),
        sent=sent.astype(np.int64),
        delivered=delivered,
        opened=opened,
        clicked=clicked,
        outcome=outcome,
        reason=reason,
        cost=touch_cost[channel],
        currency=np.full(n, currency, dtype=np.int8),
    )


def _retries(
    rng: np.random.Generator,
    touches: Touches,
    offset: np.ndarray,
    campaign: int,
    currency: int,
    touch_cost: np.ndarray,
    end: int,
) -> list[Touches]:
    """Calls nobody answered are tried again two to five days later, at most twice.

    `offset` holds every customer's UTC offset in seconds."""
    out: list[Touches] = []
    current = touches
    for attempt in range(2):
        again = np.flatnonzero((current.channel == 4) & (current.outcome == 1))
        if attempt == 1:
            again = again[rng.random(len(again)) < ref.SECOND_RETRY_SHARE]
        their_offset = offset[current.customer[again]]
        day_start = (current.sent[again] + their_offset) // ref.DAY * ref.DAY
        sent = _business_hours_after(
            rng, day_start, their_offset, rng.integers(2, 6, size=len(again))
        )
        keep = sent < end
        retry = _touch_details(
            rng,
            current.customer[again][keep],
            campaign,
            current.channel[again][keep],
            sent[keep],
            currency,
            touch_cost,
            end,
        )
        out.append(retry)
        current = retry
    return out


class _LastPurchase:
    """The latest qualifying purchase per customer, advanced through time campaign by
    campaign as purchases (organic ones and planted returns) become history."""

    def __init__(self, n_customers: int, organic: Purchases) -> None:
        self.latest = np.full(n_customers, -1, dtype=np.int64)
        self._organic = organic
        self._removed = np.zeros(len(organic), dtype=bool)
        self._planted: list[Purchases] = []
        self._until = np.iinfo(np.int64).min

    def advance(self, until: int) -> None:
        lo = np.searchsorted(self._organic.at, self._until, side="left")
        hi = np.searchsorted(self._organic.at, until, side="left")
        part = slice(lo, hi)
        use = (self._organic.amount[part] > 0) & ~self._removed[part]
        np.maximum.at(self.latest, self._organic.customer[part][use], self._organic.at[part][use])
        for planted in self._planted:
            use = (planted.at >= self._until) & (planted.at < until) & (planted.amount > 0)
            np.maximum.at(self.latest, planted.customer[use], planted.at[use])
        self._until = until

    def remove_in_windows(self, start: int, window_end: np.ndarray) -> None:
        """Drop the organic purchases of each picked customer from `start` to their window
        end, so the planted outcome is the only thing that decides whether they return.

        `window_end` holds, per customer, the end of their window (0 when not picked).
        """
        lo = np.searchsorted(self._organic.at, start, side="left")
        hi = np.searchsorted(self._organic.at, int(window_end.max()), side="left")
        part = slice(lo, hi)
        self._removed[part] |= self._organic.at[part] < window_end[self._organic.customer[part]]

    def add(self, planted: Purchases) -> None:
        self._planted.append(planted)

    def purchases(self) -> Purchases:
        kept = self._organic.take(np.flatnonzero(~self._removed))
        return Purchases.concat([kept, *self._planted])


def run_campaigns(
    rng: np.random.Generator,
    customers: Customers,
    versions: ContactVersions,
    organic: Purchases,
    campaigns: Campaigns,
    end: int,
) -> RecallResult:
    """Run the campaigns month by month: pick, contact or hold out, and plant returns."""
    n = len(customers)
    history = _LastPurchase(n, organic)
    blocked_until = np.zeros(n, dtype=np.int64)  # end of a customer's open window
    offset = customers.offset_seconds
    uplift = np.array([ref.UPLIFT_BY_CHANNEL[c] for c in ref.CHANNELS[:6]] + [0.0])
    parts: list[Touches] = []
    planted: dict[str, dict] = {}
    mistargeted = 0

    for k in range(len(campaigns)):
        start = epoch(campaigns.starts_on[k])
        currency, touch_cost = campaigns.currency[k], campaigns.touch_cost[k]
        history.advance(start)
        latest = history.latest
        free = blocked_until <= start
        dormant = np.flatnonzero(
            (latest >= 0) & (latest < start - ref.DORMANT_AFTER_DAYS * ref.DAY) & free
        )
        share = rng.uniform(*ref.POOL_SHARE_RANGE)
        picked = np.sort(rng.choice(dormant, size=round(share * len(dormant)), replace=False))
        held_out = rng.random(len(picked)) < ref.CONTROL_SHARE

        active = np.flatnonzero((latest >= start - ref.ACTIVE_WITHIN_DAYS * ref.DAY) & free)
        n_wrong = min(len(active), round((~held_out).sum() * ref.MISTARGETED_SHARE))
        wrong = np.sort(rng.choice(active, size=n_wrong, replace=False))

        customer = np.concatenate([picked, wrong]).astype(np.int32)
        channel = _choose_channels(rng, versions.opt_ins_at(customer, start))
        channel[: len(picked)][held_out] = ref.CONTROL
        days = rng.integers(0, ref.TOUCH_DAYS, size=len(customer))
        sent = _business_hours_after(rng, np.full(len(customer), start), offset[customer], days)
        keep = sent < end
        customer, channel, sent = customer[keep], channel[keep], sent[keep]
        in_pool = np.concatenate([np.ones(len(picked), bool), np.zeros(len(wrong), bool)])[keep]

        first = _touch_details(rng, customer, k, channel, sent, currency, touch_cost, end)
        parts.append(first)
        parts.extend(
            _retries(
                rng,
                first.take(np.flatnonzero(channel != ref.CONTROL)),
                offset,
                k,
                currency,
                touch_cost,
                end,
            )
        )
        mistargeted += int((~in_pool).sum())

        # The planted outcome for the picked customers.
        who = customer[in_pool]
        first_at = sent[in_pool]
        group = channel[in_pool]
        window_end = np.zeros(n, dtype=np.int64)
        window_end[who] = first_at + WINDOW
        if len(who):
            history.remove_in_windows(start, window_end)
        blocked_until[who] = first_at + WINDOW
        p = ref.BASELINE_RETURN_PROBABILITY + uplift[group]
        returns = rng.random(len(who)) < p
        back = np.flatnonzero(returns)
        back_at = _return_times(rng, first_at[back], offset[who[back]])
        history.add(_returns_and_follow_ups(rng, customers, who[back], back_at, end))

        visible = np.zeros(len(who), dtype=bool)
        visible[back] = back_at < end
        by_channel: dict[str, dict[str, int]] = {}
        for ch, name in enumerate(ref.CHANNELS):
            mine = group == ch
            if mine.any():
                by_channel[name] = {
                    "customers": int(mine.sum()),
                    "returned": int(visible[mine].sum()),
                }
        planted[campaigns.campaign_id[k]] = {
            "window_complete": bool(len(first_at) == 0 or first_at.max() + WINDOW <= end),
            "by_channel": by_channel,
        }

    touches = Touches.concat(parts) if parts else _no_touches()
    return RecallResult(
        touches=touches,
        purchases=history.purchases(),
        planted=planted,
        mistargeted_first_touches=mistargeted,
    )


def _return_times(rng: np.random.Generator, first_at: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """When a customer who comes back makes the return purchase: strictly inside the window
    of their first touch, sooner rather than later, at a usual local shopping hour."""
    n = len(first_at)
    span = ref.RETURN_WITHIN_DAYS * ref.DAY - 600
    at = first_at + 600 + (rng.random(n) ** 1.5 * span).astype(np.int64)
    shifted = local_time_at_hour(at, offset, sample_time_of_day(rng, n, ref.PURCHASE_HOUR_WEIGHTS))
    inside = (shifted > first_at + 600) & (shifted < first_at + ref.RETURN_WITHIN_DAYS * ref.DAY)
    return np.where(inside, shifted, at)


def _returns_and_follow_ups(
    rng: np.random.Generator, customers: Customers, who: np.ndarray, back_at: np.ndarray, end: int
) -> Purchases:
    """The return purchase and a few follow-up purchases at the customer's own pace."""
    follow = rng.poisson(FOLLOW_UPS_MEAN, size=len(who))
    total = follow + 1
    customer = np.repeat(who, total)
    start = np.repeat(back_at, total)
    gap = np.minimum(
        rng.exponential(1.0, size=len(customer)) * customers.gap_days[customer],
        FOLLOW_UP_MAX_GAP_DAYS,
    )
    gap = (np.maximum(gap, 1.0) * ref.DAY).astype(np.int64)
    # The return itself sits at back_at; each follow-up is one more gap later.
    is_return = np.zeros(len(customer), dtype=bool)
    is_return[np.cumsum(total) - total] = True
    gap[is_return] = 0
    cumulative = np.cumsum(gap)
    group_base = np.repeat(cumulative[is_return], total)
    at = start + cumulative - group_base
    later = ~is_return
    at[later] = local_time_at_hour(
        at[later],
        customers.offset_seconds[customer[later]],
        sample_time_of_day(rng, int(later.sum()), ref.PURCHASE_HOUR_WEIGHTS),
    )
    keep = at < end
    return draw_purchase_details(rng, customers, customer[keep], at[keep], allow_zero=False)


def _no_touches() -> Touches:
    empty_i = np.zeros(0, dtype=np.int64)
    return Touches(
        customer=empty_i.astype(np.int32),
        campaign=empty_i.astype(np.int16),
        channel=empty_i.astype(np.int8),
        sent=empty_i,
        delivered=empty_i.astype(np.int8),
        opened=empty_i,
        clicked=empty_i,
        outcome=empty_i.astype(np.int8),
        reason=empty_i.astype(np.int8),
        cost=empty_i.astype(np.float64),
        currency=empty_i.astype(np.int8),
    )
