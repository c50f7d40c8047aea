"""The ``recall`` command: generate sample landing data and run the warehouse."""

from __future__ import annotations

import logging
import os
import sys
import time
from datetime import datetime
from pathlib import Path

import click

from orchestration.settings import Settings, SettingsError, is_quick_start, load_settings

log = logging.getLogger("recall")

SAMPLE_CUSTOMERS = 20_000
SAMPLE_SEED = 42


def _settings(**options: object) -> Settings:
    """The settings of this command; a bad value is a usage error (exit 2) naming its source."""
    try:
        return load_settings(**options)  # type: ignore[arg-type]
    except SettingsError as error:
        raise click.BadParameter(error.message, param_hint=error.source) from error


def _has_landing_files(landing_dir: Path) -> bool:
    from orchestration.contract import SOURCES
    from orchestration.ingest.files import landing_paths

    return bool(landing_paths(landing_dir, SOURCES))


def _export(settings: Settings) -> None:
    """Hand the settings to what runs next (the Dagster definitions and the dbt subprocess)."""
    os.environ["RECALL_HOME"] = str(settings.home)
    os.environ["RECALL_LANDING"] = str(settings.landing_dir)
    os.environ["RECALL_TIMEZONE"] = settings.timezone
    os.environ["RECALL_CURRENCY"] = settings.currency
    if settings.as_of_date:
        os.environ["RECALL_AS_OF"] = settings.as_of_date.isoformat()
    else:
        os.environ.pop("RECALL_AS_OF", None)
    os.environ["DAGSTER_HOME"] = str(settings.dagster_home)
    settings.dagster_home.mkdir(parents=True, exist_ok=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Show debug logs.")
def main(verbose: bool) -> None:
    """Recall warehouse: customer lifecycle and lapsed-customer recall analytics.

    State lives under RECALL_HOME (default ./data): landing files, the working DuckDB file,
    quarantine, and published/recall.duckdb, the file BI tools open.
    """
    # Only this command's own messages go through this handler; Dagster prints its run log
    # itself, and libraries below it stay at warnings.
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s", datefmt="%H:%M:%S"
    )
    log.setLevel(logging.DEBUG if verbose else logging.INFO)


@main.command()
@click.option(
    "--customers", type=click.IntRange(min=1), default=SAMPLE_CUSTOMERS, show_default=True
)
@click.option("--seed", type=int, default=SAMPLE_SEED, show_default=True)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Landing directory to write (default: RECALL_LANDING or $RECALL_HOME/landing).",
)
@click.option("--format", "file_format", type=click.Choice(["csv", "parquet"]), default="csv")
@click.option(
    "--end-date",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Last day of generated activity (default 2026-10-31: a seed always gives the same files).",
)
@click.option(
    "--dirty-rate",
    type=click.FloatRange(0, 0.5),
    default=0.0,
    show_default=True,
    help="Share of rows made bad (quarantine reasons, duplicates, unknown contacts).",
)
@click.option(
    "--currency",
    default=None,
    metavar="CODE",
    help=(
        "Put every amount of every source in this one currency (EUR, USD, GBP, CAD, BRL, "
        "JPY, INR); default: each region's own currency. Such a history may start before "
        "the first currency rate (2022-01-03) and loads without rates when RECALL_CURRENCY "
        "is the same currency."
    ),
)
def generate(
    customers: int,
    seed: int,
    out: Path | None,
    file_format: str,
    end_date: datetime | None,
    dirty_rate: float,
    currency: str | None,
) -> None:
    """Write a realistic synthetic landing directory (all four sources), the same for a seed."""
    from sample_data import DEFAULT_END_DATE
    from sample_data import generate as generate_landing

    out_dir = out or _settings().landing_dir
    try:
        summary = generate_landing(
            out_dir,
            customers=customers,
            seed=seed,
            end_date=end_date.date() if end_date else DEFAULT_END_DATE,
            file_format=file_format,  # type: ignore[arg-type]
            dirty_rate=dirty_rate,
            currency=currency.strip().upper() if currency else None,
            progress=log.info,
        )
    except FileExistsError as error:
        raise click.ClickException(f"{error}. Choose an empty --out directory.") from error
    except ValueError as error:
        raise click.UsageError(str(error)) from error
    click.echo(summary.format())
    click.echo(f"Landing files written to {out_dir}")


@main.command()
@click.option(
    "--landing",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Landing directory (default: RECALL_LANDING or $RECALL_HOME/landing).",
)
@click.option(
    "--as-of",
    default=None,
    metavar="YYYY-MM-DD",
    help="Business date D the run describes (default: RECALL_AS_OF, else the latest transaction).",
)
@click.option(
    "--timezone", default=None, help="Reporting timezone (default: RECALL_TIMEZONE or UTC)."
)
@click.option(
    "--currency", default=None, help="Reporting currency (default: RECALL_CURRENCY or USD)."
)
@click.option(
    "--allow-shrink",
    is_flag=True,
    help="Publish even when a table shrinks below min_volume_ratio of the last publication "
    "(a deliberate rebuild).",
)
def run(
    landing: Path | None,
    as_of: str | None,
    timezone: str | None,
    currency: str | None,
    allow_shrink: bool,
) -> None:
    """One headless Dagster run of the whole asset graph: ingest, build, check, publish.

    The landing directory must hold landing files. Only the quick start (the default home
    ./data, no --landing or RECALL_LANDING) generates a sample first when it is empty.
    """
    settings = _settings(
        landing_dir=landing,
        as_of_date=as_of,
        timezone=timezone,
        currency=currency,
        allow_shrink=allow_shrink,
    )
    quick_start = is_quick_start(landing_given=landing is not None)
    _export(settings)
    if quick_start and not _has_landing_files(settings.landing_dir):
        from sample_data import generate as generate_landing

        log.info(
            "Quick start: %s holds no landing files, so a synthetic sample of %s customers is "
            "generated there first (recall generate). Point --landing or RECALL_LANDING at "
            "your own files for real data.",
            settings.landing_dir,
            f"{SAMPLE_CUSTOMERS:,}",
        )
        generate_landing(
            settings.landing_dir, customers=SAMPLE_CUSTOMERS, seed=SAMPLE_SEED, progress=log.info
        )
    from orchestration.lib.build_copy import RunLockedError
    from orchestration.runner import run_pipeline

    started = time.monotonic()
    try:
        outcome = run_pipeline(settings)
    except RunLockedError as error:
        raise click.ClickException(str(error)) from error
    if not outcome.success:
        click.echo(outcome.format_failure(), err=True)
        sys.exit(1)
    click.echo(outcome.format_summary(time.monotonic() - started))


if __name__ == "__main__":
    main()
