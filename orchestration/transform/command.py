"""The dbt command a run issues: pure helpers, importable without the dbt manifest."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from orchestration.settings import Settings

if TYPE_CHECKING:
    from orchestration.transform.build_state import BuildPlan


def dbt_vars(settings: Settings) -> dict[str, str | int | float]:
    """The dbt vars a run sets: the reporting settings, and the SPEC vars the operator set
    (checked by the settings; the others keep their dbt_project.yml defaults). The as-of date
    is passed only when the operator set one: the default D (the latest transaction date) is
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
    new facts to the last build or rebuilds everything (None: as dbt decides, for tests)."""
    # Unit tests pin the rules under the default vars; they belong to development and CI
    # (tests/dbt runs them), not to a nightly run whose vars, timezone or currency differ.
    build_vars = {**dbt_vars(settings), **(plan.dbt_vars if plan else {})}
    args = ["build", "--exclude-resource-type", "unit_test", "--vars", json.dumps(build_vars)]
    return [*args, "--full-refresh"] if plan and plan.full else args
