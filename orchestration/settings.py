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

import yaml

PROJECT_DIR = Path(__file__).resolve().parent.parent
SEEDS_DIR = PROJECT_DIR / "seeds"

# Every SPEC var has its default in dbt_project.yml, the gates' too: one place to read them.
PROJECT_VARS: Mapping[str, object] = yaml.safe_load(
    (PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8")
)["vars"]

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
    # Run-level gates (SPEC §7) and the freshness check.
    max_quarantine_share: float = PROJECT_VARS["max_quarantine_share"]
    min_volume_ratio: float = PROJECT_VARS["min_volume_ratio"]
    freshness_lag_days: int = PROJECT_VARS["freshness_lag_days"]
    allow_shrink: bool = False  # a deliberate rebuild may publish smaller tables

    @property
    def warehouse_path(self) -> Path:
        """The working DuckDB file as of the last publication: raw, ingest state and every
        dbt layer that passed the checks. Never opened by BI, and never written in place: a
        run works on a copy (``build_path``) that replaces it once published."""
        return self.home / "warehouse.duckdb"

    @property
    def build_path(self) -> Path:
        """This run's copy of the working file, where ingest and dbt write and the checks
        read (write-audit-publish). Kept after a failed run for inspection; the next run
        starts a fresh one. Same file name, so dbt's database name stays ``warehouse``."""
        return self.home / "build" / "warehouse.duckdb"

    @property
    def quarantine_dir(self) -> Path:
        """One CSV per run of the rows it quarantined or parked, for operators."""
        return self.home / "quarantine"

    @property
    def gx_dir(self) -> Path:
        """Great Expectations validation results and data docs."""
        return self.home / "gx"

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
# The gate vars, set by RECALL_VAR_<NAME> (a run refusing a delivery names the variable).
_GATE_VARS = {
    "max_quarantine_share": float,
    "min_volume_ratio": float,
    "freshness_lag_days": int,
}
_KIND_NAMES = {float: "a number", int: "a whole number"}


def load_settings(
    environ: Mapping[str, str] | None = None,
    *,
    today: date | None = None,
    allow_shrink: bool = False,
    **options: str | Path | date | None,
) -> Settings:
    """Settings from ``options`` (the command line; None means not given), else the RECALL_*
    variables of ``environ`` (default: this process's environment), else the defaults.

    Raises :class:`SettingsError` naming the option or variable of a value that is not a
    known timezone, a currency code or a date, or of an as-of date after ``today`` (default:
    the current date in the reporting timezone): a business date that has not happened yet
    would describe every customer as lapsing (SPEC §4). The gate vars come from
    ``RECALL_VAR_MAX_QUARANTINE_SHARE``, ``RECALL_VAR_MIN_VOLUME_RATIO`` and
    ``RECALL_VAR_FRESHNESS_LAG_DAYS``, else dbt_project.yml.
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
        allow_shrink=allow_shrink,
        **_gate_vars(env),
    )


def _gate_vars(env: Mapping[str, str]) -> dict[str, float | int]:
    values: dict[str, float | int] = {}
    for name, kind in _GATE_VARS.items():
        variable = f"RECALL_VAR_{name.upper()}"
        text = env.get(variable, "").strip()
        if not text:
            continue
        try:
            value = kind(text)
        except ValueError as error:
            raise SettingsError(variable, f"{text!r} is not {_KIND_NAMES[kind]}") from error
        values[name] = value
    share = values.get("max_quarantine_share", PROJECT_VARS["max_quarantine_share"])
    ratio = values.get("min_volume_ratio", PROJECT_VARS["min_volume_ratio"])
    lag = values.get("freshness_lag_days", PROJECT_VARS["freshness_lag_days"])
    for name, value in (("max_quarantine_share", share), ("min_volume_ratio", ratio)):
        if not 0 <= value <= 1:
            raise SettingsError(
                f"RECALL_VAR_{name.upper()}", f"{value} is not a share: use a number in [0, 1]"
            )
    if lag < 0:
        raise SettingsError(
            "RECALL_VAR_FRESHNESS_LAG_DAYS", f"{lag} is negative: use a number of days >= 0"
        )
    return values


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
