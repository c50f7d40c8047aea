"""Great Expectations suites for the warehouse, checked inside DuckDB (SPEC §7).

``SUITES`` lists them: one per raw table, staging view and published mart, each naming its
``schema.table`` and layer. ``validate()`` runs them against a DuckDB file and returns one
``SuiteResult`` per suite; the Dagster checks wrap it. Listing the suites does not import
GX (that takes seconds); ``validate()`` does.
"""

from expectations import marts, raw, staging
from expectations.run import Failure, SuiteResult, data_docs_index, validate
from expectations.spec import Check, Suite

SUITES: list[Suite] = [*raw.SUITES, *staging.SUITES, *marts.SUITES]
SUITES_BY_TABLE: dict[str, Suite] = {s.table: s for s in SUITES}

__all__ = [
    "SUITES",
    "SUITES_BY_TABLE",
    "Check",
    "Failure",
    "Suite",
    "SuiteResult",
    "data_docs_index",
    "validate",
]
