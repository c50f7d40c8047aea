"""The ``recall`` command: generate sample landing data and run the warehouse."""

from __future__ import annotations

import dataclasses
import logging
import os
import sys
import time
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from orchestration.settings import (
    VAR_PREFIX,
    Settings,
    SettingsError,
    is_quick_start,
    load_settings,
    vars_help,
)

if TYPE_CHECKING:
    from orchestration.runner import RunOutcome

log = logging.getLogger("recall")

SAMPLE_CUSTOMERS = 20_000
SAMPLE_SEED = 42


class OperatorError(click.ClickException):
    """A mistake in how the command was called (a bad date, var or file name): one line,
    ``Error: ...``, exit 2, no usage text and no traceback."""

    exit_code = 2


def _settings(**options: object) -> Settings:
    """The settings of this command; a bad value is a usage error (exit 2) naming its source."""
    try:
        return load_settings(**options)  # type: ignore[arg-type]
    except SettingsError as error:
        raise OperatorError(f"{error.source}: {error.message}") from error


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
    os.environ["RECALL_MEMORY_LIMIT"] = settings.memory_limit
    os.environ["RECALL_THREADS"] = str(settings.threads)
    os.environ["RECALL_ENGINE"] = settings.engine
    if settings.as_of_date:
        os.environ["RECALL_AS_OF"] = settings.as_of_date.isoformat()
    else:
        os.environ.pop("RECALL_AS_OF", None)
    # The Dagster definitions read the settings again when they load: the same vars.
    for name, value in settings.var_overrides.items():
        os.environ[VAR_PREFIX + name.upper()] = str(value)
    os.environ["DAGSTER_HOME"] = str(settings.dagster_home)
    _write_instance_config(settings.dagster_home)


def _write_instance_config(dagster_home: Path) -> None:
    """The home's Dagster instance: without a dagster.yaml Dagster warns on every run, and
    with telemetry on it prints a banner. A file without recall's header line is the
    operator's own and is left alone."""
    dagster_home.mkdir(parents=True, exist_ok=True)
    config = dagster_home / "dagster.yaml"
    if not config.exists() or config.read_text(encoding="utf-8").startswith(_INSTANCE_HEADER):
        config.write_text(_INSTANCE_HEADER + _INSTANCE_CONFIG, encoding="utf-8")


_INSTANCE_HEADER = "# The Dagster instance of this recall home, written by recall"
# Runs launched from the UI (schedule ticks, backfills) wait in a queue, one at a time: two
# runs on one home would share its build copy.
_INSTANCE_CONFIG = """ (delete this line to keep
# your own edits).
telemetry:
  enabled: false
run_coordinator:
  module: dagster.core.run_coordinator
  class: QueuedRunCoordinator
  config:
    max_concurrent_runs: 1
"""


def first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


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
@click.option(
    "--daily-files",
    is_flag=True,
    help=(
        "One file per source per UTC day (transactions/transactions_YYYY-MM-DD.csv, campaigns "
        "by start date) instead of per month: the same rows, to deliver a history day by day."
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
    daily_files: bool,
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
            daily_files=daily_files,
            progress=log.info,
        )
    except FileExistsError as error:
        raise click.ClickException(f"{error}. Choose an empty --out directory.") from error
    except ValueError as error:
        raise click.UsageError(str(error)) from error
    click.echo(summary.format())
    click.echo(f"Landing files written to {out_dir}")


def _run_options(*, as_of: bool = True):
    """The options of every verb that runs the pipeline (run, replace; backfill, whose days
    are its business dates, without --as-of)."""
    options = [
        click.option(
            "--landing",
            type=click.Path(file_okay=False, path_type=Path),
            default=None,
            help="Landing directory (default: RECALL_LANDING, landing in recall.toml, or "
            "$RECALL_HOME/landing).",
        ),
        click.option(
            "--as-of",
            default=None,
            metavar="YYYY-MM-DD",
            help="Business date D the run describes (default: RECALL_AS_OF, else the latest "
            "transaction).",
        ),
        click.option(
            "--timezone", default=None, help="Reporting timezone (default: RECALL_TIMEZONE or UTC)."
        ),
        click.option(
            "--currency",
            default=None,
            help="Reporting currency (default: RECALL_CURRENCY or USD).",
        ),
        click.option(
            "--memory-limit",
            default=None,
            metavar="SIZE",
            help="Memory limit of the engine (DuckDB's memory_limit, or Spark's heap), at "
            "least 100MB, such as 3GB or 2.5GiB (default: RECALL_MEMORY_LIMIT, memory_limit "
            "in recall.toml, or 3GB).",
        ),
        click.option(
            "--threads",
            default=None,
            metavar="N",
            help="DuckDB threads, a whole number >= 1 (default: RECALL_THREADS, threads in "
            "recall.toml, or the number of CPUs).",
        ),
        click.option(
            "--engine",
            default=None,
            metavar="ENGINE",
            help="Engine the models build on: duckdb, or spark for a local Spark (Java 17), "
            "which also publishes the marts as Parquet (default: RECALL_ENGINE, engine in "
            "recall.toml, or duckdb).",
        ),
        click.option(
            "--var",
            "var_options",
            multiple=True,
            metavar="NAME=VALUE",
            help="Set a SPEC var for this run (repeatable; the vars are listed below).",
        ),
        click.option(
            "--allow-shrink",
            is_flag=True,
            help="Publish even when a table shrinks below min_volume_ratio of the last "
            "publication (a deliberate rebuild).",
        ),
        click.option(
            "--strict",
            is_flag=True,
            help="Exit 1 on warnings too: rejected files, files of which nothing loaded, "
            "quarantined rows.",
        ),
        click.option("-v", "--verbose", is_flag=True, help="Stream the full Dagster and dbt log."),
    ]
    if not as_of:
        del options[1]

    def decorate(command):
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


_EXIT_HELP = (
    "Exit codes: 0 published, 1 failed and nothing published (or a warning under --strict), "
    "2 bad usage."
)


@main.command(epilog="\b\n" + vars_help() + "\n\n" + _EXIT_HELP)
@_run_options()
@click.pass_context
def run(ctx: click.Context, **options: Any) -> None:
    """One headless Dagster run of the whole asset graph: ingest, build, check, publish.

    The landing directory must hold landing files. Only the quick start (the default home
    ./data, no --landing or RECALL_LANDING) generates a sample first when it is empty.
    """
    quick_start = is_quick_start(landing_given=options["landing"] is not None)
    settings = _run_settings(options)  # exports RECALL_LANDING: ask about the quick start first
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
    _execute(ctx, settings, options)


@main.command(epilog="\b\n" + vars_help() + "\n\n" + _EXIT_HELP)
@click.argument("loaded_file")
@click.argument("new_file", type=click.Path(dir_okay=False, path_type=Path))
@_run_options()
@click.pass_context
def replace(ctx: click.Context, loaded_file: str, new_file: Path, **options: Any) -> None:
    """Replace a delivered file on purpose (a correction), then run the pipeline.

    LOADED_FILE is a loaded landing file, by its landing path (transactions/2026-01.csv) or
    its path. NEW_FILE is the corrected file: in the same source folder of the landing
    directory (the same path when the correction was put over the loaded file), or anywhere
    else, and then it is copied there. The run retires every row of LOADED_FILE (kept in
    ingest.retired_rows), loads NEW_FILE through the same rules, records both in
    ingest.load_manifest, and publishes as recall run does. If the run fails, nothing changes.
    """
    from orchestration.ingest.replace import ReplacementError, prepare_replacement

    settings = _run_settings(options)
    try:
        replacement = prepare_replacement(
            settings.warehouse_path, settings.landing_dir, loaded_file, new_file
        )
    except ReplacementError as error:
        raise OperatorError(str(error)) from error
    click.echo(f"Replacing {replacement.loaded_file} with {replacement.new_file}.", err=True)
    settings = dataclasses.replace(
        settings, replace_files=(replacement.loaded_file, replacement.new_file)
    )
    try:
        _execute(ctx, settings, options)
    except (SystemExit, click.ClickException):
        # A replacement that did not happen must not sit in the landing directory, where the
        # next run would load it as a new file beside the one it was meant to replace.
        if replacement.copied_to is not None and not replacement.is_applied(
            settings.warehouse_path
        ):
            replacement.copied_to.unlink(missing_ok=True)
            click.echo(f"Removed {replacement.copied_to} again: nothing was replaced.", err=True)
        raise


@main.command(epilog="\b\n" + vars_help() + "\n\n" + _EXIT_HELP)
@click.option("--start", required=True, metavar="YYYY-MM-DD", help="First business date.")
@click.option("--end", required=True, metavar="YYYY-MM-DD", help="Last business date.")
@_run_options(as_of=False)
@click.pass_context
def backfill(ctx: click.Context, start: str, end: str, **options: Any) -> None:
    """One partitioned run per business date from START to END, in date order, through the
    nightly job the schedule uses; each run describes its date. Stops at the first date that
    fails, leaving the publication of the last good date in place."""
    from orchestration.schedules.nightly import business_dates

    settings = _run_settings(options)
    try:
        days = business_dates(start, end, settings.timezone)
    except ValueError as error:
        raise OperatorError(str(error)) from error
    for number, day in enumerate(days, start=1):
        click.echo(f"Business date {day} ({number} of {len(days)})", err=True)
        try:
            outcome = _execute(ctx, settings, options, day, summary=number == len(days))
        except (SystemExit, click.ClickException):
            click.echo(
                f"Backfill stopped at {day}: {number - 1} of {len(days)} business dates "
                "published before it; run the backfill again from this date once it is fixed.",
                err=True,
            )
            raise
    click.echo(f"Backfill of {len(days)} business dates, {days[0]} to {days[-1]}, published.")
    if outcome.warnings and options["strict"]:
        sys.exit(1)


def _month(ctx: click.Context, param: click.Parameter, value: str):
    from orchestration.report.finance import parse_month

    try:
        return parse_month(value)
    except ValueError as error:
        raise click.BadParameter(str(error), ctx, param) from error


@main.command(epilog="Exit codes: 0 written, 1 failed, 2 bad usage.")
@click.option(
    "--month",
    required=True,
    metavar="YYYY-MM",
    callback=_month,
    help="The month of the touches to report on.",
)
def report(month) -> None:
    """Write the finance recall-rate report of a month, from the published file.

    Under $RECALL_HOME/reports/: recall_report_YYYY-MM.xlsx (summary with the final or
    provisional status, by channel, by tier, by campaign, 12-month trend, restatements,
    definitions), the same tables as CSV in recall_report_YYYY-MM/, and
    recall_report_YYYY-MM.png, the 12-month recall rate, control rate and lift with its 95%
    interval. Every figure is read from published/recall.duckdb, as BI reads it. A report of
    the same month is replaced.
    """
    from orchestration.report.finance import ReportError, build_report

    settings = _settings()
    click.echo(f"Reading {settings.published_path} ...")
    try:
        written = build_report(settings.published_path, settings.reports_dir, month)
    except ReportError as error:
        raise click.ClickException(str(error)) from error
    except OSError as error:
        raise click.ClickException(
            f"Cannot write the report under {settings.reports_dir}: {error}"
        ) from error
    click.echo(
        f"Report of {month:%Y-%m} ({written.status}, as of {written.as_of_date}):\n"
        f"  spreadsheet: {written.spreadsheet}\n"
        f"  CSV tables:  {written.csv_dir}\n"
        f"  chart:       {written.chart}"
    )
    if not written.is_final:
        click.echo(
            "The month is provisional: its recall figures can still change until its "
            "attribution window has passed."
        )


@main.group(name="export")
def export_group() -> None:
    """Files for the teams that work outside BI, from the last published run."""


def _outreach_channels(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> tuple[str, ...]:
    from orchestration.export.outreach import OUTREACH_CHANNELS, UNOFFERED_CHANNELS

    channels = tuple(dict.fromkeys(value.strip().lower() for value in values))
    for channel in channels:
        if channel in UNOFFERED_CHANNELS:
            raise click.BadParameter(
                f"{channel} is never exported: {UNOFFERED_CHANNELS[channel]}; choose from "
                f"{', '.join(OUTREACH_CHANNELS)}",
                ctx,
                param,
            )
        if channel not in OUTREACH_CHANNELS:
            raise click.BadParameter(
                f"{channel!r} is not a channel: choose from {', '.join(OUTREACH_CHANNELS)}",
                ctx,
                param,
            )
    return channels


@export_group.command(epilog="Exit codes: 0 written, 1 failed, 2 bad usage.")
@click.option(
    "--tier",
    "tiers",
    type=click.IntRange(1, 5),
    multiple=True,
    metavar="N",
    help="Only customers of recall tier N, 1 (contact first) to 5; repeatable (default: every "
    "tier).",
)
@click.option(
    "--channel",
    "channels",
    multiple=True,
    metavar="CHANNEL",
    callback=_outreach_channels,
    help="Only customers allowed on CHANNEL (sms, push, email or phone), with that channel's "
    "contact details only; repeatable (default: every channel).",
)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="At most N customers, the first in priority order (default: all).",
)
def outreach(tiers: tuple[int, ...], channels: tuple[str, ...], limit: int | None) -> None:
    """Write the recall team's contact list, a CSV file of personal data.

    The file is $RECALL_HOME/exports/outreach_<D>.csv, D being the as-of date of the last
    published run. It lists the dormant and lapsed customers whom the contact caps allow to
    contact on D + 1, by recall tier, then by value (value_score, then the most recently
    lapsed first), with their name and the contact details of the channels they may be
    contacted on only: a channel needs an opt-in in the newest contact record, even one
    updated after D, and its detail (email address; phone number for sms and phone).
    Customers with no channel left are not listed.

    The file holds personal data and says so in its first line: it is readable by its owner
    only; do not share it or load it into a BI tool. An existing file of the same D is
    replaced.
    """
    from orchestration.export.outreach import ExportError, write_outreach_export

    settings = _settings()
    try:
        export = write_outreach_export(settings, tiers=tiers, channels=channels, limit=limit)
    except ExportError as error:
        raise click.ClickException(str(error)) from error
    except OSError as error:
        raise click.ClickException(
            f"cannot write the outreach export in {settings.home / 'exports'}: "
            f"{error.strerror or error}"
        ) from error
    customers = f"{export.customers:,} customer{'' if export.customers == 1 else 's'}"
    click.echo(
        f"Outreach list as of {export.as_of_date}: {customers}, written to {export.path} "
        "(personal data, readable by you only: for the recall team, not for sharing or BI)."
    )


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=3000, show_default=True)
def ui(host: str, port: int) -> None:
    """The Dagster UI on this home's instance: assets with lineage, asset checks, the nightly
    schedule, partitions, backfills and run history. Starts the webserver and the daemon
    (which runs schedules and backfills); Ctrl-C stops both."""
    from orchestration.ui import serve

    settings = _settings()
    _export(settings)
    try:
        serve(settings, host, port, say=lambda message: click.echo(message, err=True))
    except RuntimeError as error:
        raise click.ClickException(str(error)) from error


def _run_settings(options: dict[str, Any]) -> Settings:
    settings = _settings(
        landing_dir=options["landing"],
        as_of_date=options.get("as_of"),
        timezone=options["timezone"],
        currency=options["currency"],
        memory_limit=options["memory_limit"],
        threads=options["threads"],
        engine=options["engine"],
        allow_shrink=options["allow_shrink"],
        var_options=options["var_options"],
    )
    from orchestration.transform.spark import JAVA_NEEDED, has_java

    if settings.engine == "spark" and not has_java():
        raise click.ClickException(f"{JAVA_NEEDED} Nothing ran.")
    _export(settings)
    return settings


def _execute(
    ctx: click.Context,
    settings: Settings,
    options: dict[str, Any],
    business_date: date | None = None,
    *,
    summary: bool = True,
) -> RunOutcome:
    """Run the pipeline (the nightly job's run of ``business_date`` when given) and end with
    its summary (one line without ``summary``), or its exit code (SPEC §10)."""
    from orchestration.lib.build_copy import RunLockedError
    from orchestration.runner import RunCrashedError, run_pipeline

    verbose = options["verbose"] or ctx.find_root().params.get("verbose", False)
    started = time.monotonic()
    try:
        outcome = run_pipeline(settings, verbose=verbose, business_date=business_date)
    except RunLockedError as error:
        raise click.ClickException(str(error)) from error
    except RunCrashedError as error:
        raise click.ClickException(
            f"the run stopped on an unexpected error: {error}; run again with --verbose to see "
            "it as it happens"
        ) from error
    except Exception as error:
        if verbose:
            raise
        raise click.ClickException(
            f"the run stopped on an unexpected error: {first_line(error)} (run again with "
            "--verbose for the traceback)"
        ) from error
    if not outcome.success:
        click.echo(outcome.format_failure(), err=True)
        sys.exit(1)
    seconds = time.monotonic() - started
    if summary:
        click.echo(outcome.format_summary(seconds))
    else:
        click.echo(f"{business_date}: published in {seconds:.0f} s; full log: {outcome.log_file}")
    if outcome.warnings and options["strict"] and business_date is None:
        click.echo("Exit 1: --strict fails a run with warnings (it published).", err=True)
        sys.exit(1)
    return outcome


if __name__ == "__main__":
    main()
