"""The one workaround Great Expectations needs to validate inside DuckDB.

GX's SQL execution engine opens a connection per query and closes it before the metric
results are read; a DuckDB connection does not survive that, so every expectation fails
with ``IndexError: list index out of range`` in ``resolve_metric_bundle`` (upstream GX issues
#10738 and #11579; a native DuckDB engine is proposed in #12084). GX already keeps one
persisted connection (a ``StaticPool``) for the dialects in the private tuple
``great_expectations.execution_engine.sqlalchemy_execution_engine
._PERSISTED_CONNECTION_DIALECTS``, as it does for SQLite; adding ``duckdb`` there makes the
expectations run as SQL in DuckDB, with no table loaded into Python.

The setting is private, so GX is pinned exactly (pyproject.toml) and
``tests/quality/test_duckdb_workaround.py`` fails when GX changes underneath. Remove this
module once GX ships DuckDB support.
"""

from __future__ import annotations

from enum import StrEnum

import great_expectations as gx
from great_expectations.execution_engine import sqlalchemy_execution_engine

# The GX release this workaround was written and tested against.
GX_VERSION = "1.24.1"
SETTING = "_PERSISTED_CONNECTION_DIALECTS"


class DuckDBDialect(StrEnum):
    """An entry shaped like GX's own ``GXSqlDialect`` members: GX compares entries with the
    engine's dialect name (a ``str``) and reads their ``.value``."""

    DUCKDB = "duckdb"


def enable_duckdb() -> None:
    """Let GX keep one persisted connection for DuckDB (idempotent).

    Raises ``RuntimeError`` naming the installed GX version when the private setting is
    missing or no longer a tuple of dialects, so a GX upgrade fails loudly here rather than
    every expectation failing with an ``IndexError``.
    """
    dialects = getattr(sqlalchemy_execution_engine, SETTING, None)
    if not isinstance(dialects, tuple) or not all(hasattr(d, "value") for d in dialects):
        raise RuntimeError(
            f"great_expectations {gx.__version__}: "
            f"sqlalchemy_execution_engine.{SETTING} is missing or no longer a tuple of "
            f"dialects (found {type(dialects).__name__}). expectations/_duckdb_workaround.py was "
            f"written for GX {GX_VERSION}; check upstream issues #10738, #11579 and #12084 for "
            "native DuckDB support and update or remove the workaround."
        )
    if not is_enabled():
        setattr(sqlalchemy_execution_engine, SETTING, (*dialects, DuckDBDialect.DUCKDB))


def is_enabled() -> bool:
    """Whether GX currently keeps a persisted connection for DuckDB."""
    dialects = getattr(sqlalchemy_execution_engine, SETTING, ())
    return any(getattr(d, "value", None) == DuckDBDialect.DUCKDB.value for d in dialects)
