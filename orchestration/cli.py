"""The ``recall`` command: generate sample landing data and run the warehouse."""

from __future__ import annotations

import logging
import os
import re
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from orchestration.config import Settings, load_settings
from orchestration.sources import SOURCES

log = logging.getLogger("recall")

SAMPLE_CUSTOMERS = 20_000
SAMPLE_SEED = 42


def _landing_files(landing_dir: Path) -> list[Path]:
    return [
        path
        for source in SOURCES
        for pattern in ("*.csv", "*.parquet")
        for path in (landing_dir / source.name).glob(pattern)
    ]


def _check_reporting_options(settings: Settings) -> None:
    try:
        ZoneInfo(settings.timezone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise click.BadParameter(
            f"unknown timezone {settings.timezone!r}: use an IANA name such as UTC or "
            "Europe/Berlin",
            param_hint="--timezone / RECALL_TIMEZONE",
        ) from error
    # Any ISO 4217 code will do: amounts in it need no rate, other amounts wait for rates.
    if not re.fullmatch(r"[A-Z]{3}", settings.currency):
        raise click.BadParameter(
            f"{settings.currency!r} is not a currency code: use a three-letter ISO 4217 code "
            "such as USD or EUR",
            param_hint="--currency / RECALL_CURRENCY",
        )


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
    from orchestration.generator import DEFAULT_END_DATE
    from orchestration.generator import generate as generate_landing

    out_dir = out or load_settings().landing_dir
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
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Business date D the run describes (default: RECALL_AS_OF, else the latest transaction).",
)
@click.option(
    "--timezone", default=None, help="Reporting timezone (default: RECALL_TIMEZONE or UTC)."
)
@click.option(
    "--currency", default=None, help="Reporting currency (default: RECALL_CURRENCY or USD)."
)
def run(
    landing: Path | None,
    as_of: datetime | None,
    timezone: str | None,
    currency: str | None,
) -> None:
    """One headless Dagster run of the whole asset graph: ingest, build, check, publish.

    When the landing directory holds no files, a sample is generated first.
    """
    settings = load_settings(
        landing_dir=landing.resolve() if landing else None,
        as_of_date=as_of.date() if as_of else None,
        timezone=timezone,
        currency=currency.upper() if currency else None,
    )
    _check_reporting_options(settings)
    _export(settings)
    if not _landing_files(settings.landing_dir):
        from orchestration.generator import generate as generate_landing

        log.info(
            "No landing files in %s: generating a sample of %s customers",
            settings.landing_dir,
            f"{SAMPLE_CUSTOMERS:,}",
        )
        generate_landing(
            settings.landing_dir, customers=SAMPLE_CUSTOMERS, seed=SAMPLE_SEED, progress=log.info
        )
    from orchestration.runner import run_pipeline

    started = time.monotonic()
    outcome = run_pipeline(settings)
    if not outcome.success:
        click.echo(outcome.format_failure(), err=True)
        sys.exit(1)
    click.echo(outcome.format_summary(time.monotonic() - started))


if __name__ == "__main__":
    main()
