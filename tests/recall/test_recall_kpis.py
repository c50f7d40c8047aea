"""The monthly recall KPIs (SPEC §6, §6.1) on generated data, built by the real pipeline.

One ad-hoc run (D = the latest transaction date, the generator's last day) over 20,000
generated customers with 2% bad rows. The generator plants the effect of every campaign and
writes it to `truth.json` (`planted_returns`): per campaign and channel, the customers held
out or contacted and how many of them returned within 30 x 24 h of their first touch or
holdout row. The tests pin:

- the table's invariants: a unique grain, rates that are their own ratios, nested funnel
  counts, a grand-total row for every month, recalls that add up over channels, costs that
  add up to every touch cost plus the campaign fixed costs of the month, finality from D;
- the last-touch credit in fct_recall_touches, recomputed from the SPEC's wording;
- the exact planted counts (contacted, returned, holdout, holdout returned) per campaign
  and channel, and the planted uplift inside the pooled, Bonferroni-corrected Wald interval.
"""

from __future__ import annotations

import calendar
import json
from collections import Counter, defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pytest
import yaml
from dagster import DagsterInstance

from orchestration.runner import run_pipeline
from orchestration.settings import PROJECT_DIR, Settings
from sample_data import DEFAULT_END_DATE, TRUTH_FILE, generate
from sample_data.experiment import bonferroni_z, wald_interval

pytestmark = pytest.mark.integration

CUSTOMERS = 20_000  # enough for the strongest planted effects to stand out of the noise
SEED = 7
DIRTY_RATE = 0.02  # the planted counts must survive quarantine, parking and duplicates
VARS = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))["vars"]
WINDOW_HOURS = VARS["attribution_window_days"] * 24
CHANNELS = {"sms", "push", "email", "messenger", "phone", "visit"}
TIERS = {"1", "2", "3", "4", "5"}
ALL = "all"
# rate column -> (numerator, denominator)
RATES = {
    "recall_rate": ("recalled_customers", "contacted_customers"),
    "treated_return_rate": ("treated_returned", "contacted_customers"),
    "control_rate": ("control_returned", "control_customers"),
}
RETENTION = ("retained_m1", "retained_m2", "retained_m3")
# One campaign a month over the last 24 months up to the generator's end date (2026-10).
CAMPAIGN_MONTHS = [
    date(year, month, 1)
    for year in (2024, 2025, 2026)
    for month in range(1, 13)
    if date(2024, 11, 1) <= date(year, month, 1) <= date(2026, 10, 1)
]

Key = tuple[date, str, str, str]  # month, channel, recall_tier, campaign_id


def _query(path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


def _records(path: Path, sql: str) -> list[dict]:
    with duckdb.connect(str(path), read_only=True) as con:
        cursor = con.execute(sql)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _month_end(first: date) -> date:
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


def _add_months(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _months(first: date, last: date) -> list[date]:
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = _add_months(month, 1)
    return months


def _cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory, dbt_manifest: Path) -> Settings:
    home = tmp_path_factory.mktemp("recall")
    settings = Settings(home=home, landing_dir=home / "landing")
    generate(settings.landing_dir, customers=CUSTOMERS, seed=SEED, dirty_rate=DIRTY_RATE)
    with DagsterInstance.ephemeral() as instance:
        outcome = run_pipeline(settings, instance=instance)
    assert outcome.success, outcome.format_failure()
    return settings


@pytest.fixture(scope="module")
def published(settings: Settings) -> Path:
    return settings.published_path


@pytest.fixture(scope="module")
def truth(settings: Settings) -> dict:
    return json.loads((settings.landing_dir / TRUTH_FILE).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def as_of(published: Path) -> date:
    ((d,),) = _query(published, "select distinct as_of_date from customer_lifecycle")
    return d


@pytest.fixture(scope="module")
def kpis(published: Path) -> dict[Key, dict]:
    rows = _records(published, "select * from recall_kpis_monthly")
    return {(r["month"], r["channel"], r["recall_tier"], r["campaign_id"]): r for r in rows}


@pytest.fixture(scope="module")
def grand_totals(kpis: dict[Key, dict]) -> dict[date, dict]:
    return {m: r for (m, ch, tier, cmp), r in kpis.items() if (ch, tier, cmp) == (ALL, ALL, ALL)}


@pytest.fixture(scope="module")
def campaign_months(published: Path) -> dict[str, date]:
    rows = _query(published, "select campaign_id, starts_on from dim_campaigns")
    return {campaign: starts_on.replace(day=1) for campaign, starts_on in rows}


# --- The run -------------------------------------------------------------------------------


def test_the_run_describes_the_last_generated_day(as_of: date, truth: dict) -> None:
    # The truth counts returns up to its end_date, so D must be that day for exact counts.
    assert as_of == date.fromisoformat(truth["end_date"]) == DEFAULT_END_DATE
    assert (truth["customers"], truth["seed"], truth["dirty_rate"]) == (CUSTOMERS, SEED, DIRTY_RATE)


# --- Invariants of recall_kpis_monthly -------------------------------------------------------


def test_the_grain_uses_the_published_vocabulary(
    kpis: dict[Key, dict], campaign_months: dict[str, date]
) -> None:
    assert sorted(campaign_months.values()) == CAMPAIGN_MONTHS
    channels = {ch for _, ch, _, _ in kpis}
    tiers = {tier for _, _, tier, _ in kpis}
    campaigns = {cmp for _, _, _, cmp in kpis}
    assert channels == CHANNELS | {ALL}  # never `control`
    assert TIERS | {ALL} <= tiers <= TIERS | {ALL, "unscored"}
    assert campaigns == set(campaign_months) | {ALL}


def test_rates_are_their_ratios_and_shares(kpis: dict[Key, dict]) -> None:
    for key, row in kpis.items():
        for rate, (numerator, denominator) in RATES.items():
            if row[denominator] == 0:
                assert row[rate] is None, (key, rate)
            else:
                expected = row[numerator] / row[denominator]
                assert row[rate] == pytest.approx(expected, abs=1e-12), (key, rate)
                assert 0 <= row[rate] <= 1, (key, rate)
        for rate in RETENTION:
            if row["recalled_customers"] == 0:
                assert row[rate] is None, (key, rate)
            else:
                assert 0 <= row[rate] <= 1, (key, rate)
                # A share of recalled customers: a whole number of them.
                retained = row[rate] * row["recalled_customers"]
                assert retained == pytest.approx(round(retained), abs=1e-9), (key, rate)


def test_lift_and_its_wald_interval_follow_from_the_counts(kpis: dict[Key, dict]) -> None:
    for key, r in kpis.items():
        if r["contacted_customers"] == 0 or r["control_customers"] == 0:
            assert (r["lift"], r["lift_ci_low"], r["lift_ci_high"]) == (None, None, None), key
            continue
        expected = wald_interval(
            (r["treated_returned"], r["contacted_customers"]),
            (r["control_returned"], r["control_customers"]),
        )
        assert (r["lift"], r["lift_ci_low"], r["lift_ci_high"]) == pytest.approx(
            expected, abs=1e-9
        ), key
    # Not vacuous: every campaign month has both groups at its grand total.
    assert all(kpis[m, ALL, ALL, ALL]["lift"] is not None for m in CAMPAIGN_MONTHS)


def test_lift_stratified_is_the_contacted_weighted_mean_of_stratum_lifts(
    kpis: dict[Key, dict],
) -> None:
    strata: dict[tuple[date, str], list[tuple[str, str, dict]]] = defaultdict(list)
    for (month, channel, tier, campaign), r in kpis.items():
        if tier != ALL and campaign != ALL:
            strata[month, channel].append((tier, campaign, r))
    pooled = 0
    for (month, channel, tier, campaign), r in kpis.items():
        if tier != ALL and campaign != ALL:
            assert r["lift_stratified"] is None
            continue
        inside = [
            s
            for t, k, s in strata[month, channel]
            if tier in (ALL, t)
            and campaign in (ALL, k)
            and s["contacted_customers"]
            and s["control_customers"]
        ]
        if not inside:
            assert r["lift_stratified"] is None, (month, channel, tier, campaign)
            continue
        weight = sum(s["contacted_customers"] for s in inside)
        expected = sum(s["contacted_customers"] * s["lift"] for s in inside) / weight
        key = (month, channel, tier, campaign)
        assert r["lift_stratified"] == pytest.approx(expected, abs=1e-9), key
        pooled += 1
    assert pooled > 0


def test_channel_rows_show_the_holdout_of_their_month_tier_and_campaign(
    kpis: dict[Key, dict],
) -> None:
    for (month, channel, tier, campaign), r in kpis.items():
        if channel == ALL:
            continue
        holdout = kpis[month, ALL, tier, campaign]
        assert (r["control_customers"], r["control_returned"]) == (
            holdout["control_customers"],
            holdout["control_returned"],
        ), (month, channel, tier, campaign)


def test_a_grand_total_row_for_every_month_from_the_first_transaction_to_d(
    grand_totals: dict[date, dict], published: Path, as_of: date
) -> None:
    ((first,),) = _query(published, "select min(occurred_month) from fct_transactions")
    assert sorted(grand_totals) == _months(first, as_of)
    assert len(grand_totals) == 36  # 2023-11 .. 2026-10 for the default generator dates


GRAND_TOTAL_SQL = f"""
with touches as (
    select * from fct_recall_touches
),
qualifying_months as (
    select distinct customer_id, occurred_month from fct_transactions
    where is_qualifying_purchase
),
-- Effect (SPEC §6): a return within the window of the customer's first eligible touch (or
-- holdout row) of the month.
first_of_month as (
    select sent_month, customer_id, is_control, min(sent_at) as first_sent_at
    from touches where is_eligible
    group by all
),
returned as (
    select first_of_month.*, exists (
        select 1 from fct_transactions as purchases
        where purchases.customer_id = first_of_month.customer_id
            and purchases.is_qualifying_purchase
            and purchases.occurred_at > first_sent_at
            and purchases.occurred_at <= first_sent_at + interval {WINDOW_HOURS} hour
    ) as has_returned
    from first_of_month
),
effect as (
    select sent_month,
        count(*) filter (where not is_control) as contacted,
        count(*) filter (where not is_control and has_returned) as treated_returned,
        count(*) filter (where is_control) as holdout,
        count(*) filter (where is_control and has_returned) as holdout_returned
    from returned group by all
),
retention as (
    select touches.sent_month,
        count(*) filter (where m1.customer_id is not null) as m1,
        count(*) filter (where m2.customer_id is not null) as m2,
        count(*) filter (where m3.customer_id is not null) as m3
    from touches
    inner join fct_transactions as recall on recall.transaction_id = touches.recall_transaction_id
    left join qualifying_months as m1 on m1.customer_id = touches.customer_id
        and m1.occurred_month = recall.occurred_month + interval 1 month
    left join qualifying_months as m2 on m2.customer_id = touches.customer_id
        and m2.occurred_month = recall.occurred_month + interval 2 month
    left join qualifying_months as m3 on m3.customer_id = touches.customer_id
        and m3.occurred_month = recall.occurred_month + interval 3 month
    where touches.is_credited
    group by all
),
counts as (
    select sent_month,
        count(*) filter (where is_eligible) as touches,
        count(*) filter (where not is_eligible) as ineligible_touches,
        count(distinct customer_id) filter (where is_eligible and is_delivered) as delivered,
        count(distinct customer_id) filter (where is_eligible and is_opened) as opened,
        count(distinct customer_id) filter (where is_eligible and is_clicked) as clicked,
        count(distinct customer_id) filter (where is_eligible and outcome = 'reached')
            as reached,
        count(distinct customer_id) filter (where is_credited) as recalled_customers,
        coalesce(sum(recalled_revenue) filter (where is_credited), 0) as recalled_revenue
    from touches where not is_control
    group by all
)
select
    counts.sent_month, counts.touches, coalesce(effect.contacted, 0),
    counts.ineligible_touches, counts.delivered, counts.opened, counts.clicked,
    counts.reached, counts.recalled_customers, counts.recalled_revenue,
    coalesce(effect.treated_returned, 0), coalesce(effect.holdout, 0),
    coalesce(effect.holdout_returned, 0),
    coalesce(retention.m1, 0), coalesce(retention.m2, 0), coalesce(retention.m3, 0)
from counts
left join effect using (sent_month)
left join retention using (sent_month)
"""
GRAND_TOTAL_COLUMNS = (
    "touches",
    "contacted_customers",
    "ineligible_touches",
    "delivered",
    "opened",
    "clicked",
    "reached",
    "recalled_customers",
    "recalled_revenue",
    "treated_returned",
    "control_customers",
    "control_returned",
)


def test_grand_totals_count_the_touches_of_the_month(
    grand_totals: dict[date, dict], published: Path
) -> None:
    """Recomputed from fct_recall_touches (a customer is in one campaign a month, so the
    customer's first eligible touch of the month opens the window of the Effect rule)."""
    expected = {month: rest for month, *rest in _query(published, GRAND_TOTAL_SQL)}
    quiet = [0] * 8 + [Decimal("0.00")] + [0] * 6
    for month, r in grand_totals.items():
        counts, retained = expected.get(month, quiet)[:12], expected.get(month, quiet)[12:]
        assert [r[c] for c in GRAND_TOTAL_COLUMNS] == counts, month
        if r["recalled_customers"]:
            shares = [n / r["recalled_customers"] for n in retained]
            assert [r[c] for c in RETENTION] == pytest.approx(shares, abs=1e-12), month
    assert sorted(expected) == CAMPAIGN_MONTHS
    assert sum(r["recalled_customers"] for r in grand_totals.values()) > 0


def test_each_recall_is_counted_once_at_the_grand_total(
    kpis: dict[Key, dict], grand_totals: dict[date, dict]
) -> None:
    """A customer's recall is credited to exactly one touch, on one channel."""
    by_channel: Counter[date] = Counter()
    for (month, channel, tier, campaign), r in kpis.items():
        if channel != ALL and (tier, campaign) == (ALL, ALL):
            by_channel[month] += r["recalled_customers"]
    totals = {month: r["recalled_customers"] for month, r in grand_totals.items()}
    assert totals == {month: by_channel[month] for month in grand_totals}
    assert set(by_channel) == set(CAMPAIGN_MONTHS)


def _fixed_cost_shares(published: Path) -> dict[date, Decimal]:
    """Each campaign's fixed cost spread over its months in proportion to its days there
    (starts_on .. ends_on, both included), each month's share rounded to cents."""
    shares: dict[date, Decimal] = defaultdict(Decimal)
    for starts_on, ends_on, fixed_cost in _query(
        published, "select starts_on, ends_on, fixed_cost_reporting from dim_campaigns"
    ):
        days = (ends_on - starts_on).days + 1
        for month in _months(starts_on, ends_on):
            first, last = max(month, starts_on), min(_month_end(month), ends_on)
            shares[month] += _cents(fixed_cost * ((last - first).days + 1) / days)
    return shares


def test_cost_of_a_month_is_its_touch_costs_plus_its_fixed_cost_shares(
    grand_totals: dict[date, dict], published: Path
) -> None:
    touch_costs = dict(
        _query(
            published,
            "select sent_month, sum(cost_reporting) from fct_recall_touches "
            "where not is_control group by sent_month",
        )
    )
    shares = _fixed_cost_shares(published)
    for month, r in grand_totals.items():
        expected = touch_costs.get(month, Decimal("0")) + shares.get(month, Decimal("0"))
        assert r["cost"] + r["ineligible_cost"] == expected, month
    # Over the whole history: every touch cost and every fixed cost of the months covered.
    total = sum(r["cost"] + r["ineligible_cost"] for r in grand_totals.values())
    assert total == sum(touch_costs.values()) + sum(
        share for month, share in shares.items() if month in grand_totals
    )
    assert all(r["ineligible_cost"] > 0 for m, r in grand_totals.items() if m in touch_costs)


def _tier_matrix() -> dict[tuple[int, int], str]:
    """(value_score, lapse band) -> recall_tier, from the shipped seed."""
    lines = (PROJECT_DIR / "seeds" / "recall_tier_matrix.csv").read_text().split()
    header, *rows = (line.split(",") for line in lines)
    assert header == ["value_score", "band_1", "band_2", "band_3", "band_4"]
    return {(int(row[0]), band): row[band] for row in rows for band in range(1, 5)}


def _lapse_band(r_days: int) -> int:
    edges = (VARS["band_edge_1"], VARS["dormant_days"], VARS["band_edge_2"])
    return 1 + sum(r_days > edge for edge in edges)


def test_lapsed_pool_and_newly_lapsed_come_from_the_month_end_stages(
    kpis: dict[Key, dict], grand_totals: dict[date, dict], published: Path
) -> None:
    matrix = _tier_matrix()
    stages: dict[date, dict[str, str]] = defaultdict(dict)
    pool_by_tier: Counter[tuple[date, str]] = Counter()
    for month_end, customer, stage, r_days, score in _query(
        published,
        "select month_end, customer_id, stage, r_days, value_score from customer_lifecycle_monthly",
    ):
        stages[month_end][customer] = stage
        if stage in ("dormant", "lapsed"):
            tier = "unscored" if score is None else matrix[score, _lapse_band(r_days)]
            pool_by_tier[month_end + timedelta(days=1), tier] += 1
    for month, r in grand_totals.items():
        before, now = stages[month - timedelta(days=1)], stages[_month_end(month)]
        pool = sum(1 for s in before.values() if s in ("dormant", "lapsed"))
        newly = sum(1 for c, s in now.items() if s == "lapsed" and before.get(c) != "lapsed")
        assert (r["lapsed_at_month_start"], r["newly_lapsed"]) == (pool, newly), month
        assert r["net_lapsed_change"] == newly - r["recalled_customers"], month
    by_tier = {
        (month, tier): r["lapsed_at_month_start"]
        for (month, channel, tier, campaign), r in kpis.items()
        if channel == campaign == ALL and tier != ALL and r["lapsed_at_month_start"]
    }
    in_range = {k: n for k, n in pool_by_tier.items() if k[0] in grand_totals}
    assert by_tier == in_range
    assert {tier for _, tier in by_tier} == TIERS


def test_finality_follows_d(kpis: dict[Key, dict], as_of: date) -> None:
    window = timedelta(days=VARS["attribution_window_days"] + 1)
    for key, r in kpis.items():
        settled = _month_end(key[0]) + window
        retention_end = _month_end(_add_months(settled.replace(day=1), 3))
        assert (r["is_final"], r["retention_is_final"]) == (
            settled <= as_of,
            retention_end <= as_of,
        ), key
    # D = 2026-10-31: September settles on D itself; June is the last month whose
    # three retention months (to October) are complete.
    assert max(k[0] for k, r in kpis.items() if r["is_final"]) == date(2026, 9, 1)
    assert max(k[0] for k, r in kpis.items() if r["retention_is_final"]) == date(2026, 6, 1)


# --- Attribution in fct_recall_touches -------------------------------------------------------


def test_eligibility_is_r_at_the_touch_above_at_risk_days(published: Path) -> None:
    wrong = _query(
        published,
        f"""
        with last_purchase as (
            select touches.touch_id, max(purchases.occurred_date) as last_date
            from fct_recall_touches as touches
            inner join fct_transactions as purchases
                on purchases.customer_id = touches.customer_id
                and purchases.is_qualifying_purchase
                and purchases.occurred_at < touches.sent_at
            group by touches.touch_id
        )
        select touches.touch_id, touches.r_at_touch, touches.is_eligible, last_purchase.last_date
        from fct_recall_touches as touches
        left join last_purchase using (touch_id)
        where touches.r_at_touch is distinct from date_diff('day', last_date, sent_date)
            or touches.is_eligible
                <> coalesce(date_diff('day', last_date, sent_date) > {VARS["at_risk_days"]}, false)
            or (touches.recall_tier is not null) and not touches.is_eligible
        limit 5
        """,
    )
    assert wrong == []


def test_credited_touches_are_eligible_touches_with_a_purchase_in_their_window(
    published: Path,
) -> None:
    wrong = _query(
        published,
        f"""
        select touches.touch_id, touches.is_eligible, touches.is_control, touches.sent_at,
            touches.recall_purchase_at, purchases.occurred_at, purchases.is_qualifying_purchase
        from fct_recall_touches as touches
        left join fct_transactions as purchases
            on purchases.transaction_id = touches.recall_transaction_id
            and purchases.customer_id = touches.customer_id
        where touches.is_credited and (
            not touches.is_eligible
            or touches.is_control
            or purchases.transaction_id is null
            or not purchases.is_qualifying_purchase
            or not (
                purchases.occurred_at > touches.sent_at
                and purchases.occurred_at <= touches.sent_at + interval {WINDOW_HOURS} hour
            )
            or purchases.occurred_at <> touches.recall_purchase_at
        )
        limit 5
        """,
    )
    assert wrong == []
    # One recall per lapse: no purchase is the recall of two touches, and a customer's next
    # credited touch comes after the previous recall purchase.
    shared = _query(
        published,
        "select recall_transaction_id, count(*) from fct_recall_touches "
        "where is_credited group by 1 having count(*) > 1",
    )
    assert shared == []
    overlapping = _query(
        published,
        """
        select * from (
            select customer_id, sent_at, lag(recall_purchase_at) over (
                partition by customer_id order by sent_at, touch_id
            ) as previous_recall_at
            from fct_recall_touches where is_credited
        ) where sent_at <= previous_recall_at
        """,
    )
    assert overlapping == []


def test_the_credited_touches_are_exactly_the_last_eligible_touches_before_a_recall(
    published: Path, truth: dict
) -> None:
    """SPEC §6: the first qualifying purchase after an eligible touch, within the window of
    the latest eligible touch before it, credited to that touch (ties to the greater id)."""
    expected = _query(
        published,
        f"""
        with eligible as (
            select touch_id, customer_id, sent_at from fct_recall_touches
            where is_eligible and not is_control
        ),
        next_purchase as (
            select eligible.touch_id, eligible.customer_id, eligible.sent_at,
                min(purchases.occurred_at) as purchase_at
            from eligible
            inner join fct_transactions as purchases
                on purchases.customer_id = eligible.customer_id
                and purchases.is_qualifying_purchase
                and purchases.occurred_at > eligible.sent_at
            group by all
        )
        select touch_id, purchase_at from next_purchase
        where purchase_at <= sent_at + interval {WINDOW_HOURS} hour
            and not exists (
                select 1 from eligible as later
                where later.customer_id = next_purchase.customer_id
                    and later.sent_at < next_purchase.purchase_at
                    and (later.sent_at > next_purchase.sent_at
                        or later.sent_at = next_purchase.sent_at
                            and later.touch_id > next_purchase.touch_id)
            )
        order by touch_id
        """,
    )
    actual = _query(
        published,
        "select touch_id, recall_purchase_at from fct_recall_touches "
        "where is_credited order by touch_id",
    )
    assert actual == expected
    # Every planted return of a contacted customer is a recall (retries can add a few more:
    # their window reaches past the first touch's).
    planted = sum(
        counts["returned"]
        for p in truth["planted_returns"].values()
        for channel, counts in p["by_channel"].items()
        if channel != "control"
    )
    assert planted <= len(actual) <= planted * 1.1


# --- The planted truth -----------------------------------------------------------------------


def _planted_counts(planted: dict, month: date) -> dict[tuple[date, str], tuple[int, ...]]:
    """(month, channel) -> contacted, returned, holdout, holdout returned, from truth.json."""
    holdout = planted["by_channel"].get("control", {"customers": 0, "returned": 0})
    return {
        (month, channel): (c["customers"], c["returned"], holdout["customers"], holdout["returned"])
        for channel, c in planted["by_channel"].items()
        if channel != "control"
    }


def _measured_counts(kpis: dict[Key, dict], campaign: str) -> dict[tuple[date, str], tuple]:
    return {
        (month, channel): (
            r["contacted_customers"],
            r["treated_returned"],
            r["control_customers"],
            r["control_returned"],
        )
        for (month, channel, tier, cmp), r in kpis.items()
        # Channels the campaign touched only by mistake (active customers) have no one.
        if cmp == campaign and tier == ALL and channel != ALL and r["contacted_customers"]
    }


def test_planted_returns_are_measured_exactly(
    kpis: dict[Key, dict], truth: dict, campaign_months: dict[str, date]
) -> None:
    """Every picked customer is dormant at the touch (eligible) and contacted on one channel
    (retries included) in the campaign's first days, so the (campaign month, channel, all,
    campaign) row holds exactly the truth's customers. With D = the truth's end_date, also the
    campaigns whose windows run past D match: both count the returns made by D."""
    planted_returns = truth["planted_returns"]
    assert sorted(planted_returns) == sorted(campaign_months)
    assert sum(p["window_complete"] for p in planted_returns.values()) == 23
    for campaign, planted in planted_returns.items():
        month = campaign_months[campaign]
        expected = _planted_counts(planted, month)
        assert _measured_counts(kpis, campaign) == expected, campaign
        campaign_row = kpis[month, ALL, ALL, campaign]
        totals = [sum(counts[i] for counts in expected.values()) for i in (0, 1)]
        holdout = next(iter(expected.values()))[2:]
        assert (
            campaign_row["contacted_customers"],
            campaign_row["treated_returned"],
            campaign_row["control_customers"],
            campaign_row["control_returned"],
        ) == (*totals, *holdout), campaign


def _pooled_by_channel(
    kpis: dict[Key, dict], complete: set[str]
) -> dict[str, tuple[tuple[int, int], tuple[int, int]]]:
    """channel -> ((returned, contacted), (holdout returned, holdout)), summed over the
    (month, channel, all, campaign) rows of campaigns whose windows are complete (within one
    campaign a customer appears once, so the sums count customers)."""
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for (_, channel, tier, campaign), r in kpis.items():
        if campaign in complete and tier == ALL and channel != ALL:
            s = sums[channel]
            s[0] += r["treated_returned"]
            s[1] += r["contacted_customers"]
            s[2] += r["control_returned"]
            s[3] += r["control_customers"]
    return {c: ((s[0], s[1]), (s[2], s[3])) for c, s in sums.items()}


def test_planted_uplift_lies_in_the_bonferroni_corrected_interval(
    kpis: dict[Key, dict], truth: dict
) -> None:
    complete = {c for c, p in truth["planted_returns"].items() if p["window_complete"]}
    pooled = _pooled_by_channel(kpis, complete)
    assert set(pooled) == CHANNELS == set(truth["uplift_by_channel"])
    z = bonferroni_z(len(pooled))
    assert z == pytest.approx(2.638, abs=1e-3)
    outside, significant = {}, set()
    for channel, (treated, control) in pooled.items():
        lift, low, high = wald_interval(treated, control, z)
        planted = truth["uplift_by_channel"][channel]
        if not low <= planted <= high:
            outside[channel] = (planted, round(lift, 4), round(low, 4), round(high, 4))
        if low > 0:
            significant.add(channel)
    assert outside == {}
    # The sample is large enough to tell the strongest planted effects from none.
    assert {"phone", "visit"} <= significant
