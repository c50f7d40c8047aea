"""Run settings, read and checked in one place (SPEC §10): command-line options override
RECALL_* environment variables, which override the settings file ``$RECALL_HOME/recall.toml``,
which overrides the defaults.

Besides the operator settings (landing directory, as-of date, timezone, currency, and DuckDB's
memory limit and threads, which every connection doing heavy work gets, dbt's too), every SPEC
var of dbt_project.yml (thresholds, windows, caps, gates) is set the same way, without editing
a tracked file: ``--var NAME=VALUE``, ``RECALL_VAR_<NAME>``, or ``name = value`` under
``[vars]`` in recall.toml. The vars are checked here with the rules of
macros/validate_vars.sql, before anything runs, so a bad value is refused naming the option,
variable or file key it came from rather than by dbt at the end of a run.

The Dagster assets receive these settings as the ``recall`` resource, and the dbt build
receives the reporting settings and the vars set as dbt vars (``transform/command.py``), so
nothing downstream reads the environment or checks a setting again.
"""

from __future__ import annotations

import difflib
import math
import os
import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import pairwise
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
DEFAULT_MEMORY_LIMIT = "3GB"
DEFAULT_THREADS = os.cpu_count() or 1
# The engines dbt builds on (profiles.yml targets): DuckDB in this process's file, or Spark.
ENGINES = ("duckdb", "spark")
DEFAULT_ENGINE = "duckdb"
# The least memory limit accepted, in bytes (100MB).
MIN_MEMORY_LIMIT = 100 * 1000**2
# The units DuckDB's memory_limit takes: 1000^i bytes, or 1024^i for the binary ones.
_MEMORY_UNITS = {
    f"{prefix}{binary}b": (1024 if binary else 1000) ** power
    for power, prefix in enumerate("kmgt", start=1)
    for binary in ("", "i")
}
_MEMORY_LIMIT_TEXT = re.compile(r"(\d+(?:\.\d+)?) ?([kmgt]i?b)", re.IGNORECASE)
SETTINGS_FILE_NAME = "recall.toml"
VAR_PREFIX = "RECALL_VAR_"

VarValue = int | float


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
    # DuckDB's memory limit as the operator wrote it (DuckDB takes it as written) and the
    # number of threads it may use, for every connection that does heavy work.
    memory_limit: str = DEFAULT_MEMORY_LIMIT
    threads: int = DEFAULT_THREADS
    # The engine dbt builds the models on (SPEC §2). Ingest, the checks and the BI file stay
    # on DuckDB whichever it is; Spark also publishes its marts as Parquet.
    engine: str = DEFAULT_ENGINE
    # The SPEC vars set by an option, a variable or recall.toml (checked; the gates' too),
    # which the dbt build receives; the others keep their dbt_project.yml defaults. Not part
    # of the hash, so the settings stay hashable; never mutated.
    var_overrides: Mapping[str, VarValue] = field(default_factory=dict, hash=False)
    # recall replace: (loaded file, new file) as landing-relative paths, applied by this run's
    # ingest (ingest/replace.py); None for every other run.
    replace_files: tuple[str, str] | None = None

    @property
    def memory_limit_mib(self) -> int:
        """The memory limit in MiB, for engines that take a number (Spark's heap)."""
        number, unit = _MEMORY_LIMIT_TEXT.fullmatch(self.memory_limit.strip()).groups()
        return int(float(number) * _MEMORY_UNITS[unit.lower()] / 2**20)

    @property
    def duckdb_config(self) -> dict[str, str]:
        """The DuckDB settings of this run, as ``duckdb.connect(config=...)`` takes them."""
        return {"memory_limit": self.memory_limit, "threads": str(self.threads)}

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
    def raw_parquet_dir(self) -> Path:
        """The raw tables as Parquet, one folder per source, for the Spark engine's sources
        (``ingest/raw_parquet.py``)."""
        return self.home / "raw"

    @property
    def spark_dir(self) -> Path:
        """Spark's working folder: its metastore, its tables, dbt's target folder for the
        spark target, and the marts a Spark build wrote for the checks
        (``transform/spark.py``)."""
        return self.home / "spark"

    @property
    def published_spark_dir(self) -> Path:
        """The checked marts of the Spark engine as Parquet, one folder per table: the
        tables of Spark's ``published`` schema."""
        return self.home / "published" / "spark"

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
    def reports_dir(self) -> Path:
        """The finance reports (``recall report``), read from the published file."""
        return self.home / "reports"

    @property
    def logs_dir(self) -> Path:
        """The full Dagster and dbt log of every run from the command line."""
        return self.home / "logs"

    @property
    def dagster_home(self) -> Path:
        return self.home / "dagster"


# Each operator setting: its option, its environment variable, its recall.toml key.
_SOURCES = {
    "landing_dir": ("--landing", "RECALL_LANDING", "landing"),
    "as_of_date": ("--as-of", "RECALL_AS_OF", "as_of"),
    "timezone": ("--timezone", "RECALL_TIMEZONE", "timezone"),
    "currency": ("--currency", "RECALL_CURRENCY", "currency"),
    "memory_limit": ("--memory-limit", "RECALL_MEMORY_LIMIT", "memory_limit"),
    "threads": ("--threads", "RECALL_THREADS", "threads"),
    "engine": ("--engine", "RECALL_ENGINE", "engine"),
}
_FILE_KEYS = {key: name for name, (_, _, key) in _SOURCES.items()}
# The dbt vars that are operator settings: set with their own option, never with --var.
_OPERATOR_VARS = {
    "as_of_date": "as_of_date",
    "reporting_timezone": "timezone",
    "reporting_currency": "currency",
}


@dataclass(frozen=True)
class VarRule:
    """What a SPEC var accepts: a whole number or any number from ``low`` to ``high``
    (inclusive; None: unbounded). ``out_of_range`` follows the value in the message."""

    kind: type[int] | type[float]
    low: VarValue
    high: VarValue | None
    out_of_range: str


# The rules of macros/validate_vars.sql, which still guards a dbt run started by hand; a
# test pins that both name the same whole-number vars and chains.
_DAYS = VarRule(int, 1, None, "is not positive: use a whole number of days >= 1")
_COUNT = VarRule(int, 1, None, "is not positive: use a whole number >= 1")
_LAG_DAYS = VarRule(int, 0, None, "is negative: use a number of days >= 0")
_SHARE = VarRule(float, 0, 1, "is not a share: use a number in [0, 1]")
_MULTIPLIER = VarRule(float, 1, None, "is below 1: use a number >= 1")

# Every SPEC var (dbt_project.yml, less the operator settings): its rule and, for
# ``recall run --help``, its meaning (at most 40 characters, so that the help fits 80
# columns; R: days since the last qualifying purchase).
VARS: Mapping[str, tuple[VarRule, str]] = {
    "active_days": (_DAYS, "active: R <= this"),
    "at_risk_days": (_DAYS, "at risk: R <= this, above active_days"),
    "dormant_days": (_DAYS, "dormant: R <= this; above it, lapsed"),
    "new_days": (_DAYS, "new: days since first purchase <= this"),
    "value_window_days": (_DAYS, "F and M window, in days to last purchase"),
    "band_edge_1": (_DAYS, "lapse band 1: R in (at_risk_days, this]"),
    "band_edge_2": (_DAYS, "lapse band 3: R in (dormant_days, this]"),
    "max_touches_30d": (_COUNT, "contact cap: touches per touch window"),
    "min_days_between_touches": (_DAYS, "contact cap: days between two touches"),
    "touch_window_days": (_DAYS, "contact-cap window in days"),
    "attribution_window_days": (_DAYS, "attribution: days from touch to purchase"),
    "early_warning_gap_multiplier": (_MULTIPLIER, "drifting: R > this x median purchase gap"),
    "max_quarantine_share": (_SHARE, "gate: max share of a source quarantined"),
    "min_volume_ratio": (_SHARE, "gate: least share of last published rows"),
    "freshness_lag_days": (_LAG_DAYS, "gate: days newest transaction may lag D"),
}
VAR_DEFAULTS: Mapping[str, VarValue] = {name: PROJECT_VARS[name] for name in VARS}
# Thresholds that must increase along each chain (SPEC §5.1, §5.3).
VAR_CHAINS: tuple[tuple[str, ...], ...] = (
    ("active_days", "at_risk_days", "dormant_days"),
    ("at_risk_days", "band_edge_1", "dormant_days", "band_edge_2"),
)
_KIND_NAMES = {float: "a number", int: "a whole number"}


@dataclass(frozen=True)
class _Given:
    """A value as written, and the option, variable or file key that gave it."""

    value: object
    source: str


@dataclass(frozen=True)
class _SettingsFile:
    """The contents of recall.toml, keys checked, values not yet (as for the other sources)."""

    path: Path
    settings: Mapping[str, _Given]  # by Settings field name
    vars: Mapping[str, _Given]


def load_settings(
    environ: Mapping[str, str] | None = None,
    *,
    today: date | None = None,
    allow_shrink: bool = False,
    var_options: Sequence[str] = (),
    **options: str | int | Path | date | None,
) -> Settings:
    """Settings from ``options`` (the command line; None means not given), else the RECALL_*
    variables of ``environ`` (default: this process's environment), else
    ``$RECALL_HOME/recall.toml``, else the defaults. The SPEC vars come from ``var_options``
    (the ``--var NAME=VALUE`` texts; of a name given twice the last wins), else
    ``RECALL_VAR_<NAME>``, else the file's ``[vars]`` table, else dbt_project.yml.

    Raises :class:`SettingsError` naming the option, variable or file key of a value that is
    not a known timezone, a currency code, a date, a DuckDB memory limit of at least 100MB or
    a whole number of threads >= 1, an engine (duckdb, spark), of an as-of date after ``today``
    (default: the current date in the reporting timezone; a business date that has not
    happened yet would describe every customer as lapsing, SPEC §4), of an unknown var or
    file key, of a var value its rule refuses, and of every var in a threshold chain whose
    values contradict it; and naming recall.toml when it is not valid TOML.
    """
    env = os.environ if environ is None else environ
    unknown = set(options) - set(_SOURCES)
    if unknown:
        raise TypeError(f"unknown settings: {', '.join(sorted(unknown))}")

    home = Path(env.get("RECALL_HOME", "").strip() or DEFAULT_HOME).resolve()
    settings_file = _read_settings_file(home)

    def pick(name: str) -> tuple[object, str] | None:
        option, variable, _ = _SOURCES[name]
        if options.get(name) is not None:
            return options[name], option
        if env.get(variable, "").strip():
            return env[variable].strip(), variable
        if name in settings_file.settings:
            given = settings_file.settings[name]
            return given.value, given.source
        return None

    landing = pick("landing_dir")
    timezone = pick("timezone")
    currency = pick("currency")
    as_of = pick("as_of_date")
    memory_limit = pick("memory_limit")
    threads = pick("threads")
    engine = pick("engine")
    zone = _timezone(*timezone) if timezone else DEFAULT_TIMEZONE
    overrides = _vars(var_options, env, settings_file)
    merged = {**VAR_DEFAULTS, **overrides}
    return Settings(
        home=home,
        landing_dir=Path(landing[0]).resolve() if landing else home / "landing",
        timezone=zone,
        currency=_currency(*currency) if currency else DEFAULT_CURRENCY,
        as_of_date=_as_of_date(*as_of, zone, today) if as_of else None,
        max_quarantine_share=merged["max_quarantine_share"],
        min_volume_ratio=merged["min_volume_ratio"],
        freshness_lag_days=merged["freshness_lag_days"],
        allow_shrink=allow_shrink,
        memory_limit=_memory_limit(*memory_limit) if memory_limit else DEFAULT_MEMORY_LIMIT,
        threads=_threads(*threads) if threads else DEFAULT_THREADS,
        engine=_engine(*engine) if engine else DEFAULT_ENGINE,
        var_overrides=overrides,
    )


def vars_help() -> str:
    """The SPEC vars for ``recall run --help``: one line each, with its default and meaning,
    then how to set them, in lines of at most 78 characters. A single paragraph (no blank
    line), so that click prints it as written when it follows a ``\\b`` line."""
    cells = {name: f"{name}={VAR_DEFAULTS[name]}" for name in VARS}
    width = max(map(len, cells.values()))
    lines = ["SPEC vars and defaults (R: days since the last qualifying purchase):"]
    lines += [f"  {cells[name]:<{width}}  {meaning}" for name, (_, meaning) in VARS.items()]
    lines += [
        "Set a var with --var NAME=VALUE (repeatable), RECALL_VAR_<NAME>, or",
        f"name = value under [vars] in $RECALL_HOME/{SETTINGS_FILE_NAME}. Options override",
        f"environment variables, which override {SETTINGS_FILE_NAME}, which overrides the",
        f"defaults; {SETTINGS_FILE_NAME} also takes landing, timezone, currency, as_of,",
        "memory_limit, threads and engine.",
    ]
    return "\n".join(lines)


def is_quick_start(environ: Mapping[str, str] | None = None, *, landing_given: bool) -> bool:
    """The README's first command: the default home, with no landing directory named by an
    option, by RECALL_LANDING or by recall.toml. Only then may a run fill an empty landing
    folder with a generated sample."""
    env = os.environ if environ is None else environ
    home = env.get("RECALL_HOME", "").strip()
    on_default_home = not home or Path(home).resolve() == DEFAULT_HOME.resolve()
    landing_variable = _SOURCES["landing_dir"][1]
    if not on_default_home or landing_given or env.get(landing_variable, "").strip():
        return False
    return "landing_dir" not in _read_settings_file(DEFAULT_HOME.resolve()).settings


# --- recall.toml


def _read_settings_file(home: Path) -> _SettingsFile:
    path = home / SETTINGS_FILE_NAME
    try:
        with path.open("rb") as file:
            document = tomllib.load(file)
    except FileNotFoundError:
        return _SettingsFile(path, {}, {})
    except tomllib.TOMLDecodeError as error:
        raise _syntax_error(path, error) from error
    except UnicodeDecodeError as error:
        raise SettingsError(str(path), "is not UTF-8 text: save it as UTF-8") from error
    except OSError as error:
        raise SettingsError(str(path), f"cannot be read: {error.strerror}") from error

    settings: dict[str, _Given] = {}
    file_vars: dict[str, _Given] = {}
    for key, value in document.items():
        source = f"{path} {key}"
        if key == "vars":
            file_vars = _file_vars(path, value)
        elif key in _FILE_KEYS:
            settings[_FILE_KEYS[key]] = _Given(_file_setting(key, value, home, source), source)
        else:
            raise SettingsError(source, _unknown_file_key(key))
    return _SettingsFile(path, settings, file_vars)


def _syntax_error(path: Path, error: tomllib.TOMLDecodeError) -> SettingsError:
    # tomllib gives the position only in its message: "Invalid value (at line 3, column 9)".
    found = re.fullmatch(r"(.*) \(at line (\d+), column (\d+)\)", str(error))
    if not found:
        return SettingsError(str(path), f"not valid TOML: {error}")
    reason, line, column = found.groups()
    return SettingsError(f"{path} line {line}", f"not valid TOML: {reason} (column {column})")


def _unknown_file_key(key: str) -> str:
    if key in VARS:
        return f"{key} is a var: put it under [vars]"
    accepted = [*_FILE_KEYS, "vars"]
    close = difflib.get_close_matches(key, accepted, n=1)
    hint = f"did you mean {close[0]}? " if close else ""
    return (
        f"unknown key {key!r}: {hint}{SETTINGS_FILE_NAME} takes landing, timezone, currency, "
        "as_of, memory_limit, threads, engine and a [vars] table"
    )


def _file_setting(key: str, value: object, home: Path, source: str) -> object:
    """A recall.toml setting in the form its option takes; a relative landing directory is
    relative to RECALL_HOME, where the file is, not to wherever a run starts."""
    if key == "threads":
        # A TOML number, as its option's text is a number: "4" in quotes is a mistake.
        if isinstance(value, str):
            raise SettingsError(
                source, f"{value!r} is text: write a whole number without quotes, threads = 4"
            )
        return value
    if key == "as_of":
        # A TOML date is a date; a TOML date-time is one too (datetime is a date subclass),
        # but a business date has no time of day.
        if isinstance(value, datetime):
            raise SettingsError(
                source, f"{value} has a time: write the date alone, {key} = {value.date()}"
            )
        if isinstance(value, date | str):
            return value
    elif isinstance(value, str):
        return home / value if key == "landing" else value
    raise SettingsError(source, f"{_shown(value)} is not text: write it in quotes")


def _file_vars(path: Path, table: object) -> dict[str, _Given]:
    if not isinstance(table, dict):
        raise SettingsError(
            f"{path} vars", "is not a table: write [vars] and name = value lines under it"
        )
    given: dict[str, _Given] = {}
    for name, value in table.items():
        source = f"{path} [vars] {name}"
        _check_var_name(name, source, spell=str)
        given[name] = _Given(value, source)
    return given


# --- SPEC vars


def _vars(
    var_options: Sequence[str], env: Mapping[str, str], settings_file: _SettingsFile
) -> dict[str, VarValue]:
    """The vars set by an option, a variable or the file, checked one by one, then together.
    Names are checked in every source (a misspelt one would otherwise be ignored for good);
    values only where they take effect, as for the other settings."""
    given = {**settings_file.vars, **_environment_vars(env), **_option_vars(var_options)}
    values = {name: _var_value(name, given[name]) for name in VARS if name in given}
    _check_chains({**VAR_DEFAULTS, **values}, {name: given[name].source for name in given})
    return values


def _option_vars(var_options: Sequence[str]) -> dict[str, _Given]:
    given: dict[str, _Given] = {}
    for text in var_options:
        name, equals, value = text.partition("=")
        name = name.strip()
        if not equals or not name:
            raise SettingsError(
                f"--var {text}", "is not NAME=VALUE: write it as, e.g., --var active_days=45"
            )
        source = f"--var {name}"
        _check_var_name(name, source, spell=str)
        given[name] = _Given(value.strip(), source)
    return given


def _environment_vars(env: Mapping[str, str]) -> dict[str, _Given]:
    given: dict[str, _Given] = {}
    for variable, text in sorted(env.items()):
        if not variable.startswith(VAR_PREFIX) or not text.strip():
            continue
        name = variable.removeprefix(VAR_PREFIX).lower()
        _check_var_name(name, variable, spell=lambda known: VAR_PREFIX + known.upper())
        given[name] = _Given(text.strip(), variable)
    return given


def _check_var_name(name: str, source: str, spell: Callable[[str], str]) -> None:
    """Refuse a name that is no SPEC var, suggesting the closest one as ``spell`` writes it
    in this source."""
    if name in VARS:
        return
    if name in _OPERATOR_VARS:
        option, variable, key = _SOURCES[_OPERATOR_VARS[name]]
        raise SettingsError(
            source,
            f"{name} is not set as a var: use {option} or {variable} "
            f"({key} in {SETTINGS_FILE_NAME})",
        )
    close = difflib.get_close_matches(name.lower(), VARS, n=1)
    hint = f"did you mean {spell(close[0])}?" if close else "recall run --help lists the vars"
    raise SettingsError(source, f"unknown var {name!r}: {hint}")


def _var_value(name: str, given: _Given) -> VarValue:
    rule = VARS[name][0]
    value = _number(given.value, rule.kind)
    if value is None:
        raise SettingsError(given.source, f"{_shown(given.value)} is not {_KIND_NAMES[rule.kind]}")
    if value < rule.low or (rule.high is not None and value > rule.high):
        raise SettingsError(given.source, f"{value} {rule.out_of_range}")
    return value


def _number(value: object, kind: type[int] | type[float]) -> VarValue | None:
    """``value`` (text, or a TOML number) as ``kind``, or None when it is not one."""
    if isinstance(value, str):
        try:
            value = kind(value)
        except ValueError:
            return None
    # A number may be whole, a whole number may not be 30.0 (nor to dbt); a TOML boolean is
    # an int to Python but no number.
    if isinstance(value, bool) or not isinstance(value, kind | int):
        return None
    number = kind(value)
    return number if math.isfinite(number) else None


def _check_chains(values: Mapping[str, VarValue], sources: Mapping[str, str]) -> None:
    broken = [c for c in VAR_CHAINS if any(values[a] >= values[b] for a, b in pairwise(c))]
    if not broken:
        return
    named = dict.fromkeys(sources[name] for chain in broken for name in chain if name in sources)
    problems = "; ".join(_chain_problem(chain, values, sources) for chain in broken)
    raise SettingsError(
        ", ".join(named) or "dbt_project.yml",
        f"{problems}: set them so that each is smaller than the next",
    )


def _chain_problem(
    chain: Sequence[str], values: Mapping[str, VarValue], sources: Mapping[str, str]
) -> str:
    found = ", ".join(f"{n} {values[n]} ({sources.get(n, 'default')})" for n in chain)
    return f"thresholds must satisfy {' < '.join(chain)}, got {found}"


def _shown(value: object) -> str:
    """A value as its source wrote it: text quoted, a TOML boolean in TOML."""
    if isinstance(value, bool):
        return str(value).lower()
    return repr(value) if isinstance(value, str) else str(value)


# --- operator settings


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


def _memory_limit(value: object, source: str) -> str:
    text = str(value).strip()
    found = _MEMORY_LIMIT_TEXT.fullmatch(text)
    if not found:
        raise SettingsError(
            source,
            f"{value!r} is not a memory limit: write a number and a unit (KB, MB, GB, TB, "
            "KiB, MiB, GiB, TiB), such as 3GB or 2.5GiB",
        )
    number, unit = found.groups()
    if float(number) * _MEMORY_UNITS[unit.lower()] < MIN_MEMORY_LIMIT:
        raise SettingsError(
            source, f"{text} is below 100MB, the least memory limit accepted: use, e.g., 3GB"
        )
    return text


def _threads(value: object, source: str) -> int:
    threads = _number(value, int)
    if threads is None or threads < 1:
        shown = _shown(value) if threads is None else threads
        raise SettingsError(source, f"{shown} is not a whole number >= 1")
    return int(threads)


def _engine(value: object, source: str) -> str:
    name = str(value).strip().lower()
    if name not in ENGINES:
        raise SettingsError(
            source, f"unknown engine {value!r}: use {' or '.join(ENGINES)} (default duckdb)"
        )
    return name


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
