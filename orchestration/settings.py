"""Run settings, read and checked in one place: command-line options override RECALL_*
environment variables, which override the defaults below.

The Dagster assets receive these settings as the ``recall`` resource, and the dbt build
receives the reporting ones as vars (``transform/assets.py``), so nothing downstream reads
the environment or checks a setting again.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PROJECT_DIR = Path(__file__).resolve().parent.parent
SEEDS_DIR = PROJECT_DIR / "seeds"

DEFAULT_HOME = Path("data")
DEFAULT_TIMEZONE = "UTC"
DEFAULT_CURRENCY = "USD"


class SettingsError(ValueError):
    """A setting has a value the warehouse cannot use; ``source`` names where it came from."""

    def __init__(self, source: str, message: str) -> None:
        super().__init__(f"{source}: {message}")
        self.source = source
        self.message = message


@dataclass(frozen=True)
class Settings:
    home: Path
    landing_dir: Path
    timezone: str = DEFAULT_TIMEZONE
    currency: str = DEFAULT_CURRENCY
    as_of_date: date | None = None  # None: the latest transaction date (dbt's as_of_date)

    @property
    def warehouse_path(self) -> Path:
        """The working DuckDB file the pipeline writes (never read by BI)."""
        return self.home / "warehouse.duckdb"

    @property
    def published_path(self) -> Path:
        """The read-only DuckDB file BI tools open."""
        return self.home / "published" / "recall.duckdb"

    @property
    def dagster_home(self) -> Path:
        return self.home / "dagster"


# Each setting: its option, its environment variable.
_SOURCES = {
    "landing_dir": ("--landing", "RECALL_LANDING"),
    "as_of_date": ("--as-of", "RECALL_AS_OF"),
    "timezone": ("--timezone", "RECALL_TIMEZONE"),
    "currency": ("--currency", "RECALL_CURRENCY"),
}


def load_settings(
    environ: Mapping[str, str] | None = None,
    *,
    today: date | None = None,
    **options: str | Path | date | None,
) -> Settings:
    """Settings from ``options`` (the command line; None means not given), else the RECALL_*
    variables of ``environ`` (default: this process's environment), else the defaults.

    Raises :class:`SettingsError` naming the option or variable of a value that is not a
    known timezone, a currency code or a date, or of an as-of date after ``today`` (default:
    the current date in the reporting timezone): a business date that has not happened yet
    would describe every customer as lapsing (SPEC §4).
    """
    env = os.environ if environ is None else environ
    unknown = set(options) - set(_SOURCES)
    if unknown:
        raise TypeError(f"unknown settings: {', '.join(sorted(unknown))}")

    def pick(name: str) -> tuple[object, str] | None:
        option, variable = _SOURCES[name]
        if options.get(name) is not None:
            return options[name], option
        if env.get(variable, "").strip():
            return env[variable].strip(), variable
        return None

    home = Path(env.get("RECALL_HOME", "").strip() or DEFAULT_HOME).resolve()
    landing = pick("landing_dir")
    timezone = pick("timezone")
    currency = pick("currency")
    as_of = pick("as_of_date")
    zone = _timezone(*timezone) if timezone else DEFAULT_TIMEZONE
    return Settings(
        home=home,
        landing_dir=Path(landing[0]).resolve() if landing else home / "landing",
        timezone=zone,
        currency=_currency(*currency) if currency else DEFAULT_CURRENCY,
        as_of_date=_as_of_date(*as_of, zone, today) if as_of else None,
    )


def is_quick_start(environ: Mapping[str, str] | None = None, *, landing_given: bool) -> bool:
    """The README's first command: the default home, with no landing directory named by an
    option or by RECALL_LANDING. Only then may a run fill an empty landing folder with a
    generated sample."""
    env = os.environ if environ is None else environ
    home = env.get("RECALL_HOME", "").strip()
    on_default_home = not home or Path(home).resolve() == DEFAULT_HOME.resolve()
    landing_variable = _SOURCES["landing_dir"][1]
    return on_default_home and not landing_given and not env.get(landing_variable, "").strip()


def _timezone(value: object, source: str) -> str:
    name = str(value)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise SettingsError(
            source, f"unknown timezone {name!r}: use an IANA name such as UTC or Europe/Berlin"
        ) from error
    return name


def _currency(value: object, source: str) -> str:
    # Any ISO 4217 code will do: amounts in it need no rate, other amounts wait for rates.
    code = str(value).strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise SettingsError(
            source,
            f"{value!r} is not a currency code: use a three-letter ISO 4217 code such as "
            "USD or EUR",
        )
    return code


def _as_of_date(value: object, source: str, timezone: str, today: date | None) -> date:
    if isinstance(value, date):
        as_of = value
    else:
        try:
            as_of = date.fromisoformat(str(value))
        except ValueError as error:
            raise SettingsError(
                source, f"{value!r} is not a date: write the business date as YYYY-MM-DD"
            ) from error
    today = today or datetime.now(ZoneInfo(timezone)).date()
    if as_of > today:
        raise SettingsError(
            source,
            f"{as_of.isoformat()} is after today ({today.isoformat()} in {timezone}): the "
            "as-of date is a business date that has happened; leave it unset for the latest "
            "transaction date",
        )
    return as_of
