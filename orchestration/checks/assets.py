"""Blocking asset checks between the dbt build and the publication: the volume gate on every
published table, the freshness of transactions, and the Great Expectations suites. Each
reads this run's build copy; a failure stops the publish asset, so BI keeps the last good
file."""

from collections.abc import Iterator

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSpec,
    AssetKey,
    ResourceParam,
    multi_asset_check,
)

from orchestration.checks.gates import (
    freshness_gate,
    newest_transaction,
    table_row_counts,
    volume_gate,
)
from orchestration.checks.suites import SUITE_CHECKS
from orchestration.lib.build_copy import check_build
from orchestration.publish.bi_file import MARTS_SCHEMA
from orchestration.settings import Settings
from orchestration.transform.assets import mart_keys

VOLUME_CHECK = "min_volume_ratio"
FRESHNESS_CHECK = "transactions_fresh"
# Tables of exceptions, not volume: restatements shrink when a restated figure is corrected.
NOT_VOLUME_GATED = frozenset({"recall_kpis_restatements"})
FRESHNESS_ASSET = AssetKey(["marts", "fct_transactions"])


def _volume_gated() -> list[AssetKey]:
    return [key for key in mart_keys() if key.path[-1] not in NOT_VOLUME_GATED]


@multi_asset_check(
    specs=[
        AssetCheckSpec(
            VOLUME_CHECK,
            asset=key,
            blocking=True,
            description="The table keeps at least min_volume_ratio of its rows in the last "
            "publication (recall run --allow-shrink for a deliberate rebuild).",
        )
        for key in _volume_gated()
    ],
    name="published_volume",
)
def published_volume(
    context: AssetCheckExecutionContext, recall: ResourceParam[Settings]
) -> Iterator[AssetCheckResult]:
    rows = table_row_counts(check_build(recall, context.run.run_id), MARTS_SCHEMA)
    published = table_row_counts(recall.published_path)
    for key in _volume_gated():
        table = key.path[-1]
        gate = volume_gate(
            table, rows[table], published.get(table), recall.min_volume_ratio, recall.allow_shrink
        )
        yield gate.check_result(key, VOLUME_CHECK)


@multi_asset_check(
    specs=[
        AssetCheckSpec(
            FRESHNESS_CHECK,
            asset=FRESHNESS_ASSET,
            blocking=True,
            description="The newest transaction is at most freshness_lag_days older than D.",
        )
    ],
    name="transactions_freshness",
)
def transactions_freshness(
    context: AssetCheckExecutionContext, recall: ResourceParam[Settings]
) -> Iterator[AssetCheckResult]:
    as_of, newest = newest_transaction(check_build(recall, context.run.run_id))
    gate = freshness_gate(newest, as_of, recall.freshness_lag_days)
    yield gate.check_result(FRESHNESS_ASSET, FRESHNESS_CHECK)


GATE_CHECKS = [published_volume, transactions_freshness, *SUITE_CHECKS]
