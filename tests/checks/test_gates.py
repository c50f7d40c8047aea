"""The run-level gates of SPEC §7 and the freshness rule, at their boundaries."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from orchestration.checks.gates import (
    ReasonSample,
    freshness_gate,
    quarantine_share_gate,
    volume_gate,
)
from orchestration.ingest.summary import SourceTotals

REASONS = [
    ReasonSample(
        "unknown_currency", 5, "2026-11.csv", 3, "currency 'XYZ' has no rates", '{"amount":"9"}'
    ),
    ReasonSample("unknown_kind", 1, "2026-11.csv", 8, None, '{"kind":"sale"}'),
]


def _totals(read: int, quarantined: int) -> SourceTotals:
    return SourceTotals("transactions", files=1, rows_read=read, quarantined=quarantined)


def test_a_quarantine_share_equal_to_the_maximum_passes() -> None:
    gate = quarantine_share_gate(_totals(100, 5), 0.05, REASONS, None)

    assert gate.passed
    assert gate.description == "transactions: 5 of 100 rows quarantined (5.0%)"


def test_a_quarantine_share_above_the_maximum_fails_naming_counts_reasons_and_a_row() -> None:
    gate = quarantine_share_gate(_totals(100, 6), 0.05, REASONS, Path("/h/quarantine/r.csv"))

    assert not gate.passed
    assert gate.description == (
        "transactions: 6 of 100 rows read in this run were quarantined (6.0%, above "
        "max_quarantine_share 0.05). Top reasons: unknown_currency 5, e.g. 2026-11.csv row 3 "
        '(currency \'XYZ\' has no rates): {"amount":"9"}; unknown_kind 1, e.g. 2026-11.csv '
        'row 8: {"kind":"sale"}. All of them are in /h/quarantine/r.csv. Fix or replace the '
        "delivery and run again, or raise RECALL_VAR_MAX_QUARANTINE_SHARE if this share is "
        "expected."
    )
    assert gate.metadata["top_reasons"] == {"unknown_currency": 5, "unknown_kind": 1}
    assert gate.metadata["quarantine_share"] == 0.06


def test_a_source_without_new_rows_passes() -> None:
    gate = quarantine_share_gate(SourceTotals("campaigns"), 0.05, [], None)

    assert (gate.passed, gate.description) == (True, "campaigns: no new rows in this run")


def test_a_table_keeping_exactly_the_minimum_ratio_passes_and_one_row_less_fails() -> None:
    assert volume_gate("fct_transactions", 50, 100, 0.5, allow_shrink=False).passed
    failed = volume_gate("fct_transactions", 49, 100, 0.5, allow_shrink=False)

    assert not failed.passed
    assert failed.description == (
        "fct_transactions: 49 rows against 100 in the last publication (49%, below "
        "min_volume_ratio 0.5). Check the delivery and the as-of date; for a deliberate "
        "rebuild run again with --allow-shrink."
    )


def test_allow_shrink_lets_a_deliberate_rebuild_publish_and_says_so() -> None:
    gate = volume_gate("fct_transactions", 0, 100, 0.5, allow_shrink=True)

    assert gate.passed
    assert gate.description.endswith("(0%); allowed by --allow-shrink")


def test_a_first_publication_or_a_table_new_to_it_has_nothing_to_shrink_from() -> None:
    assert volume_gate("lapse_tiers", 0, None, 0.5, allow_shrink=False).passed
    assert volume_gate("lapse_tiers", 0, 0, 0.5, allow_shrink=False).passed


def test_transactions_as_old_as_the_lag_are_fresh_and_one_day_older_are_not() -> None:
    as_of = date(2026, 10, 31)

    assert freshness_gate(date(2026, 10, 24), as_of, 7).passed
    stale = freshness_gate(date(2026, 10, 23), as_of, 7)
    assert not stale.passed
    assert stale.metadata["lag_days"] == 8
    assert stale.description.startswith(
        "the newest transaction is dated 2026-10-23, 8 days before the as-of date 2026-10-31"
    )


def test_no_transaction_on_or_before_d_is_not_fresh() -> None:
    gate = freshness_gate(None, date(2020, 1, 1), 7)

    assert not gate.passed
    assert gate.description.startswith(
        "no transaction is dated on or before the as-of date 2020-01-01"
    )
