"""What the suites read from the dbt project instead of repeating it: the vars and their
defaults (``dbt_project.yml``), and from a model's YAML the columns it declares never null
and the values its enum columns accept."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

from orchestration.settings import PROJECT_DIR

MODELS_DIR = PROJECT_DIR / "models"
# libyaml's loader where PyYAML has it: every process that loads the suites reads the models'
# YAML, and the pure-Python loader takes seconds over it.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@cache
def project_vars() -> dict[str, object]:
    """The vars of ``dbt_project.yml`` with their defaults."""
    project = _yaml(PROJECT_DIR / "dbt_project.yml")
    return dict(project.get("vars") or {})


@cache
def not_null_columns(model: str) -> tuple[str, ...]:
    """The columns of ``model`` its YAML declares never null: a ``not_null`` data test or a
    ``not_null`` constraint (the enforced contract of a mart), in YAML order."""
    columns = _model(model).get("columns") or []
    return tuple(c["name"] for c in columns if _is_not_null(c))


@cache
def accepted_values(model: str, column: str) -> tuple[str, ...]:
    """The values an ``accepted_values`` test of ``model.column`` allows (as text)."""
    for c in _model(model).get("columns") or []:
        if c["name"] != column:
            continue
        for test in c.get("data_tests") or []:
            if isinstance(test, dict) and "accepted_values" in test:
                values = test["accepted_values"]["arguments"]["values"]
                return tuple(str(v) for v in values)
    raise KeyError(f"{model}.{column} has no accepted_values test")


def _is_not_null(column: dict) -> bool:
    tests = column.get("data_tests") or []
    constraints = column.get("constraints") or []
    return any(t == "not_null" for t in tests) or any(
        c.get("type") == "not_null" for c in constraints
    )


def _model(name: str) -> dict:
    for path in sorted(MODELS_DIR.rglob("*.yml")):
        for model in _yaml(path).get("models") or []:
            if model.get("name") == name:
                return model
    raise KeyError(f"no model {name!r} in the YAML under {MODELS_DIR}")


@cache
def _yaml(path: Path) -> dict:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER) or {}
