"""The dbt command a run issues: pure helpers, importable without the dbt manifest."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from orchestration.settings import Settings

if TYPE_CHECKING:
    from orchestration.transform.build_state import BuildPlan

# What changes from one run to the next (D, and where a nightly build's new facts start)
# reaches dbt in its environment, not in --vars: dbt parses the whole project again whenever
# --vars change (about 3 s), but only the few files that read an environment variable when
# that variable does. Macro run_var reads these (for as_of_date, new_facts and states_from);
# a var of the same name, given to a dbt run by hand or in a unit test, wins.
RUN_ENV = {
    "as_of_date": "RECALL_DBT_AS_OF_DATE",
    "new_facts_loaded_after": "RECALL_DBT_NEW_FACTS_LOADED_AFTER",
    "new_facts_occurred_from": "RECALL_DBT_NEW_FACTS_OCCURRED_FROM",
    "lifecycle_states_from": "RECALL_DBT_STATES_FROM",
}


def dbt_target(settings: Settings) -> Path:
    """dbt's target folder for a home's runs (manifest, run_results.json, partial parse), one
    per engine: each profile target has a parse of its own."""
    if settings.engine == "spark":
        return settings.spark_dir / "target"
    return settings.home / "dbt" / "target"


def dbt_profile_args(settings: Settings) -> list[str]:
    """The profiles.yml target of the run's engine, when it is not the default (DuckDB)."""
    return ["--target", "spark"] if settings.engine == "spark" else []


def dbt_vars(settings: Settings) -> dict[str, str | int | float]:
    """The dbt vars a run sets: the reporting settings, and the SPEC vars the operator set
    (checked by the settings; the others keep their dbt_project.yml defaults). The as-of date
    is set only when the operator set one: the default D (the latest transaction date) is
    dbt's rule, macro ``as_of_date``."""
    values: dict[str, str | int | float] = {
        "reporting_timezone": settings.timezone,
        "reporting_currency": settings.currency,
        **settings.var_overrides,
    }
    if settings.as_of_date is not None:
        values["as_of_date"] = settings.as_of_date.isoformat()
    return values


def dbt_build_args(settings: Settings, plan: BuildPlan | None = None) -> list[str]:
    """``dbt build`` for a run; ``plan`` (build_state.plan_build) says whether it adds the
    new facts to the last build or rebuilds everything (None: as dbt decides, for tests).
    The values of :data:`RUN_ENV` go in :func:`dbt_build_env`."""
    # Unit tests pin the rules under the default vars; they belong to development and CI
    # (tests/dbt runs them), not to a nightly run whose vars, timezone or currency differ.
    args = [
        "build",
        "--exclude-resource-type",
        "unit_test",
        "--vars",
        dbt_vars_arg(settings),
        *dbt_profile_args(settings),
    ]
    return [*args, "--full-refresh"] if plan and plan.full else args


def dbt_vars_arg(settings: Settings) -> str:
    """The ``--vars`` of every dbt command of a run: the vars but those of :data:`RUN_ENV`,
    which reach dbt in its environment, so the commands share one parse."""
    return json.dumps({k: v for k, v in dbt_vars(settings).items() if k not in RUN_ENV})


def dbt_build_env(settings: Settings, plan: BuildPlan | None = None) -> dict[str, str]:
    """The environment of ``dbt build`` for a run: every name of :data:`RUN_ENV`, empty
    when unset (D by dbt's rule; a full build filters no facts)."""
    values = {**dbt_vars(settings), **(plan.dbt_vars if plan else {})}
    return {name: str(values.get(var, "")) for var, name in RUN_ENV.items()}
