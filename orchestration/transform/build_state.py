"""Whether a dbt build may add to the last one, or must rebuild everything.

The incremental models add only the facts that arrived since the last build (the
transaction facts, ``macros/new_facts.sql``), and evaluate customer state again only from
the earliest date the new data can change (``macros/states_from.sql``). That is right only
while everything else they were built from is unchanged. So each successful build records,
in the build copy, what it was built from (``transform.build_state``); the next build
compares, and any difference makes it a full rebuild (``dbt build --full-refresh``), with
the reasons in the log and the summary:

- the first build of a warehouse;
- the dbt vars (reporting timezone and currency included);
- the models, macros or seeds (an upgrade, or an edited seed);
- the currency rates delivered as landing files (a rate may reprice past facts);
- a file replaced with ``recall replace`` (its rows left raw, and facts never shrink
  incrementally);
- an as-of date before the last build's (facts after it must go);
- the engine: the build before was made on the other one, or this one is on Spark, where
  every model is a table rebuilt whole.

Late data, a fact dated inside a month already final, moves the states' start back to its
date; the models kept per customer work out its customer again, and every other model
downstream of the facts is a table rebuilt on every run, so it is counted wherever it
belongs; the build says so.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb

from orchestration.contract import SOURCES
from orchestration.ingest.summary import REPLACED
from orchestration.settings import PROJECT_DIR, VAR_DEFAULTS, Settings
from orchestration.transform.command import dbt_vars

STATE_TABLE = "transform.build_state"
# What decides the SQL dbt runs: a change to any of these files rebuilds everything.
_CODE_FOLDERS = ("models", "macros", "seeds")
_CODE_FILES = ("dbt_project.yml",)
# What decides the raw suites' checks (the suites and the landing contract they derive from).
_SUITE_PATHS = ("expectations", "orchestration/contract.py", "seeds/channels.csv")
# Not a change: the reason every build on Spark gives.
SPARK_REBUILDS = "Spark rebuilds every model"
_INPUT_NAMES = {
    "vars": "the dbt vars",
    "code": "the models, macros or seeds",
    "currency_rates": "the currency rates delivered as landing files",
    "replaced_files": "a file replaced with recall replace",
    "engine": "the engine",
}


@dataclass(frozen=True)
class BuildPlan:
    """How this run builds: ``full`` (with the reasons) or adding the new facts."""

    full: bool
    reasons: tuple[str, ...] = ()
    # For an incremental build, macro new_facts' vars: the rows loaded after this, or
    # dated from this on (naive UTC), are new.
    facts_loaded_after: str | None = None
    facts_occurred_from: datetime | None = None
    late_facts: str | None = None  # facts dated inside months already final, if any
    # Macro states_from's var: customer state is evaluated again from this date on.
    states_from: date | None = None

    @property
    def after_a_change(self) -> bool:
        """A full build for a reason other than the engine's own (Spark rebuilds every
        time): the models, the settings or the data changed in a way adding cannot follow."""
        return self.full and self.reasons != (SPARK_REBUILDS,)

    @property
    def dbt_vars(self) -> dict[str, str]:
        if self.full:
            return {}
        return {
            "new_facts_loaded_after": str(self.facts_loaded_after),
            "new_facts_occurred_from": str(self.facts_occurred_from),
            "lifecycle_states_from": str(self.states_from),
        }

    def describe(self) -> str:
        if self.full:
            return "full rebuild: " + "; ".join(self.reasons)
        text = (
            "incremental: the facts that arrived since the last build are added, and customer "
            f"states evaluated again from {self.states_from}"
        )
        return f"{text}; {self.late_facts}" if self.late_facts else text


def code_fingerprint() -> str:
    """A hash of every file that decides the SQL of the build."""
    return _fingerprint((*_CODE_FILES, *_CODE_FOLDERS))


def _fingerprint(names: tuple[str, ...]) -> str:
    """A hash of these files, and of the files under these folders (Python caches aside)."""
    digest = hashlib.sha256()
    paths: list[Path] = []
    for name in names:
        path = PROJECT_DIR / name
        paths += (
            sorted(p for p in path.rglob("*") if p.is_file() and p.suffix != ".pyc")
            if path.is_dir()
            else [path]
        )
    for path in paths:
        digest.update(str(path.relative_to(PROJECT_DIR)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _loaded_through(con: duckdb.DuckDBPyConnection) -> dict[str, datetime | None]:
    """The latest load time of each raw table (None while empty), in one query."""
    latest = con.execute(
        "select "
        + ", ".join(f"(select max(_loaded_at) from raw.{source.name})" for source in SOURCES)
    ).fetchone()
    return {source.name: at for source, at in zip(SOURCES, latest, strict=True)}


def _replaced_files(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute(
        "select count(*) from ingest.load_manifest where status = ?", [REPLACED]
    ).fetchone()[0]


def build_inputs(con: duckdb.DuckDBPyConnection, settings: Settings) -> dict[str, str]:
    """What a build of the warehouse in ``con`` with ``settings`` is built from, besides
    the facts it adds; the as-of date is compared on its own (it may move forward)."""
    build_vars = {k: v for k, v in dbt_vars(settings).items() if k != "as_of_date"}
    rates = con.execute(
        "select count(*), max(_file_id), max(_loaded_at) from raw.currency_rates"
    ).fetchone()
    loaded_through = _loaded_through(con)
    facts_loaded_through = max(
        (
            loaded_through[name]
            for name in ("transactions", "recall_touches")
            if loaded_through[name] is not None
        ),
        default=None,
    )
    raw_loaded_through = max((at for at in loaded_through.values() if at is not None), default=None)
    return {
        "vars": json.dumps(build_vars, sort_keys=True),
        "code": code_fingerprint(),
        "currency_rates": json.dumps([rates[0], rates[1], str(rates[2])]),
        "replaced_files": str(_replaced_files(con)),
        "engine": settings.engine,
        "facts_loaded_through": str(facts_loaded_through or "1900-01-01"),
        # Not reasons to rebuild: what the raw suites validated before this build.
        "raw_loaded_through": str(raw_loaded_through or "1900-01-01"),
        "raw_suites": _fingerprint(_SUITE_PATHS),
    }


def raw_validated_through(con: duckdb.DuckDBPyConnection) -> str | None:
    """The load time through which the raw tables in ``con`` (a build copy) were validated by
    the last build, which passed the raw suites; rows loaded after it are new. None when they
    must be validated whole: no build yet, other suites, or a replaced file since (its rows
    left raw, so older rows may now reference a contact that is gone)."""
    last = _last_build(con)
    if last is None:
        return None
    inputs = last[0]
    if (
        "raw_loaded_through" not in inputs
        or inputs.get("raw_suites") != _fingerprint(_SUITE_PATHS)
        or inputs.get("replaced_files") != str(_replaced_files(con))
    ):
        return None
    return inputs["raw_loaded_through"]


def _last_build(con: duckdb.DuckDBPyConnection) -> tuple[dict[str, str], date | None] | None:
    exists = con.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = 'transform' and table_name = 'build_state'"
    ).fetchone()[0]
    if not exists:
        return None
    row = con.execute(f"select inputs, as_of_date from {STATE_TABLE}").fetchone()
    return (json.loads(row[0]), row[1]) if row else None


def _var_changes(before: str, now: str) -> str:
    old, new = json.loads(before), json.loads(now)
    changed = [
        f"{name} {old.get(name, 'default')} -> {new.get(name, 'default')}"
        for name in sorted(set(old) | set(new))
        if old.get(name) != new.get(name)
    ]
    return "the dbt vars changed (" + ", ".join(changed) + ")"


def plan_build(con: duckdb.DuckDBPyConnection, settings: Settings) -> BuildPlan:
    """Compare this run's inputs with the last build's (in the build copy ``con``)."""
    last = _last_build(con)
    if last is None:
        return BuildPlan(full=True, reasons=("the first build of this warehouse",))
    inputs, as_of_date = last
    now = build_inputs(con, settings)
    reasons = []
    for key, name in _INPUT_NAMES.items():
        if inputs.get(key) == now[key]:
            continue
        reasons.append(_var_changes(inputs[key], now[key]) if key == "vars" else f"{name} changed")
    if (
        settings.as_of_date is not None
        and as_of_date is not None
        and settings.as_of_date < as_of_date
    ):
        reasons.append(f"the as-of date moved back from {as_of_date} to {settings.as_of_date}")
    if as_of_date is None:
        reasons.append("the last build had no transactions")
    if settings.engine == "spark":
        reasons.append(SPARK_REBUILDS)
    if reasons:
        return BuildPlan(full=True, reasons=tuple(reasons))
    return BuildPlan(
        full=False,
        facts_loaded_after=inputs["facts_loaded_through"],
        facts_occurred_from=facts_left_out_from(con, as_of_date, settings.timezone),
        late_facts=_late_facts(con, settings, inputs, as_of_date),
        states_from=states_changed_from(con, inputs["facts_loaded_through"], as_of_date),
    )


def facts_left_out_from(
    con: duckdb.DuckDBPyConnection, as_of_date: date, timezone: str
) -> datetime:
    """The earliest UTC time a fact the last build left out (dated after its D in the
    reporting timezone) can have: the start of the local day after D, less an hour, so that
    a day starting in a daylight-saving change is covered whichever way it resolves. The
    conversion is DuckDB's, the same the models date facts with."""
    return con.execute(
        "select timezone('UTC', timezone(?, cast(? as timestamp))) - interval 1 hour",
        [timezone, as_of_date + timedelta(days=1)],
    ).fetchone()[0]


def states_changed_from(con: duckdb.DuckDBPyConnection, since: str, as_of_date: date) -> date:
    """The earliest date whose customer states the data loaded since the last build can
    change: that build's D (D moves on, and the facts dated after it arrive now), the earliest
    new transaction, and the signup dates, old and new, of every customer whose signup may
    differ: a contact version loaded since, or dated after that D (it may now be the version
    valid at D), with a signup date other than the last build's."""
    return con.execute(
        """
        select least(
            ?,
            (
                select min(occurred_date) from staging.stg_transactions
                where loaded_at > cast(? as timestamp)
            ),
            (
                select min(
                    least(versions.signup_date, coalesce(built.signup_date, versions.signup_date))
                )
                from staging.stg_contacts as versions
                left join intermediate.int_customer_records_selected as built
                    on versions.customer_id = built.customer_id
                where
                    (versions.loaded_at > cast(? as timestamp) or versions.updated_date > ?)
                    and versions.signup_date is distinct from built.signup_date
            )
        )
        """,
        [as_of_date, since, since, as_of_date],
    ).fetchone()[0]


def last_final_month_end(as_of_date: date, attribution_window_days: int) -> date:
    """The last month end whose month is final as of D: month end + window + 1 day <= D
    (SPEC §6.1 is_final)."""
    latest = as_of_date - timedelta(days=attribution_window_days + 1)
    if (latest + timedelta(days=1)).day == 1:
        return latest
    return latest.replace(day=1) - timedelta(days=1)


def _late_facts(
    con: duckdb.DuckDBPyConnection, settings: Settings, inputs: dict[str, str], as_of_date: date
) -> str | None:
    """Facts loaded since the last build but dated inside a month that was final at its D.
    Every table downstream of the facts is rebuilt on each run, so they are counted; the run
    says so, as the figures of those months change."""
    window = settings.var_overrides.get(
        "attribution_window_days", VAR_DEFAULTS["attribution_window_days"]
    )
    final_through = last_final_month_end(as_of_date, int(window))
    since = inputs["facts_loaded_through"]
    transactions, first_transaction = con.execute(
        "select count(*), min(occurred_date) from staging.stg_transactions "
        "where loaded_at > cast(? as timestamp) and occurred_date <= ?",
        [since, final_through],
    ).fetchone()
    touches, first_touch = con.execute(
        "select count(*), min(sent_date) from staging.stg_recall_touches "
        "where loaded_at > cast(? as timestamp) and sent_date <= ?",
        [since, final_through],
    ).fetchone()
    if not transactions and not touches:
        return None
    earliest = min(day for day in (first_transaction, first_touch) if day is not None)
    return (
        f"late data: {transactions:,} transactions and {touches:,} touches dated inside months "
        f"final at {as_of_date} (from {earliest}); their figures are recomputed"
    )


def record_build(con: duckdb.DuckDBPyConnection, settings: Settings, plan: BuildPlan) -> None:
    """Record what the build just finished in ``con`` was built from, and how."""
    as_of_date = con.execute("select as_of_date from intermediate.int_as_of_date").fetchone()[0]
    con.execute("create schema if not exists transform")
    con.execute(
        f"create or replace table {STATE_TABLE} ("
        "inputs varchar not null, as_of_date date, built_at timestamp not null, "
        "how varchar not null, is_full boolean not null, states_from date)"
    )
    con.execute(
        f"insert into {STATE_TABLE} values (?, ?, ?, ?, ?, ?)",
        [
            json.dumps(build_inputs(con, settings), sort_keys=True),
            as_of_date,
            datetime.now(UTC).replace(tzinfo=None),
            plan.describe(),
            plan.full,
            plan.states_from,
        ],
    )


def built_incrementally(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the build in ``con`` added to the one before it: its published facts are
    those of the last publication plus new ones, none changed."""
    if _last_build(con) is None:
        return False
    return not con.execute(f"select is_full from {STATE_TABLE}").fetchone()[0]


def states_rewritten_from(con: duckdb.DuckDBPyConnection) -> date | None:
    """The date from which the build in ``con`` evaluated customer states again, when it
    added to the one before it; None after a full build (or one recorded before the date
    was)."""
    if not built_incrementally(con):
        return None
    columns = {r[0] for r in con.execute(f"describe {STATE_TABLE}").fetchall()}
    if "states_from" not in columns:
        return None
    return con.execute(f"select states_from from {STATE_TABLE}").fetchone()[0]


def last_build_description(con: duckdb.DuckDBPyConnection) -> str | None:
    """How the last build of the warehouse in ``con`` was made, for the run summary."""
    if _last_build(con) is None:
        return None
    return con.execute(f"select how from {STATE_TABLE}").fetchone()[0]
