"""Ingest: landing files -> raw tables, with quarantine, parking and a load manifest."""

from collections.abc import Iterator

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    Failure,
    MaterializeResult,
    ResourceParam,
    multi_asset,
)

from orchestration.contract import SOURCES
from orchestration.ingest import LandingFileError, ingest_landing
from orchestration.settings import Settings


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
    can_subset=False,
)
def landing_ingest(
    context: AssetExecutionContext, recall: ResourceParam[Settings]
) -> Iterator[MaterializeResult]:
    """Load every new landing file once, in one transaction: contacts first, then the rest."""
    try:
        summary = ingest_landing(recall, progress=context.log.info)
    except LandingFileError as error:
        raise Failure(description=str(error)) from error
    context.log.info(summary.format())
    metadata = summary.as_metadata()
    for source in SOURCES:
        prefix = f"{source.name}."
        yield MaterializeResult(
            asset_key=raw_asset_key(source.name),
            metadata={
                k.removeprefix(prefix): v for k, v in metadata.items() if k.startswith(prefix)
            },
        )
