"""Ingest: landing files -> raw tables of this run's build copy, with quarantine, parking and
a load manifest; the quarantine-share gate (SPEC §7) is checked here, where the run's counts
are known."""

from collections.abc import Iterator
from pathlib import Path

import duckdb
from dagster import (
    AssetCheckResult,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    Failure,
    MaterializeResult,
    MetadataValue,
    ResourceParam,
    multi_asset,
)

from orchestration.checks.gates import quarantine_share_gate, top_quarantine_reasons
from orchestration.contract import SOURCES
from orchestration.ingest import LandingFileError, ingest_landing
from orchestration.ingest.quarantine_file import write_quarantine_file
from orchestration.ingest.replace import Replacement, ReplacementError
from orchestration.ingest.summary import IngestSummary, SourceTotals
from orchestration.lib.build_copy import start_build
from orchestration.settings import Settings

QUARANTINE_SHARE_CHECK = "max_quarantine_share"
INGEST_REPORT = "ingest_report"


def raw_asset_key(source_name: str) -> AssetKey:
    """The key of a raw table; dbt's source `raw` maps onto the same keys."""
    return AssetKey(["raw", source_name])


@multi_asset(
    specs=[
        AssetSpec(
            raw_asset_key(source.name),
            group_name="ingest",
            description=f"Raw {source.name} rows loaded from landing/{source.name}/ "
            "(bad rows quarantined, rows of unknown contacts parked).",
        )
        for source in SOURCES
    ],
    check_specs=[
        AssetCheckSpec(
            QUARANTINE_SHARE_CHECK,
            asset=raw_asset_key(source.name),
            blocking=True,
            description="Rows quarantined in this run are at most max_quarantine_share of "
            "the source's rows read in this run.",
        )
        for source in SOURCES
    ],
    can_subset=False,
)
def landing_ingest(
    context: AssetExecutionContext, recall: ResourceParam[Settings]
) -> Iterator[MaterializeResult | AssetCheckResult]:
    """Start this run's build copy, then load every new landing file once, in one
    transaction: contacts first, then the rest."""
    build = start_build(recall, context.run.run_id)
    replacement = Replacement(*recall.replace_files) if recall.replace_files else None
    try:
        summary = ingest_landing(
            recall, progress=context.log.info, database=build, replacement=replacement
        )
    except (LandingFileError, ReplacementError) as error:
        raise Failure(description=str(error)) from error
    context.log.info(summary.format())
    quarantine_file, held_rows = write_quarantine_file(
        build, recall.quarantine_dir, summary.loaded_at, context.run.run_id
    )
    if quarantine_file:
        context.log.info(f"{held_rows:,} quarantined or parked rows written to {quarantine_file}")
    metadata = summary.as_metadata()
    for source in SOURCES:
        prefix = f"{source.name}."
        source_metadata = {
            k.removeprefix(prefix): v for k, v in metadata.items() if k.startswith(prefix)
        }
        if quarantine_file:
            source_metadata["quarantine_file"] = MetadataValue.path(str(quarantine_file))
        if source is SOURCES[0]:
            # The whole run's account, once: what the command line's final summary reports.
            source_metadata[INGEST_REPORT] = MetadataValue.json(summary.to_dict())
        yield MaterializeResult(asset_key=raw_asset_key(source.name), metadata=source_metadata)
    yield from _quarantine_share_checks(recall, build, summary, quarantine_file)


def _quarantine_share_checks(
    recall: Settings, build: Path, summary: IngestSummary, quarantine_file: Path | None
) -> Iterator[AssetCheckResult]:
    totals = {s.source: s for s in summary.sources}
    with duckdb.connect(str(build), read_only=True) as con:
        for source in SOURCES:
            source_totals = totals.get(source.name, SourceTotals(source.name))
            reasons = top_quarantine_reasons(con, source.name, summary.loaded_at)
            gate = quarantine_share_gate(
                source_totals, recall.max_quarantine_share, reasons, quarantine_file
            )
            yield gate.check_result(raw_asset_key(source.name), QUARANTINE_SHARE_CHECK)
