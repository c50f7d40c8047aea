"""Quoting for the SQL that ingest and publish generate: the one place values and names are
made safe to splice into a statement."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime


def sql_literal(value: str) -> str:
    """A SQL string literal: ``it's`` -> ``'it''s'``."""
    return "'" + value.replace("'", "''") + "'"


def sql_identifier(name: str) -> str:
    """A quoted SQL identifier, so any column or table name is safe."""
    return '"' + name.replace('"', '""') + '"'


def sql_list(values: Iterable[str]) -> str:
    """A parenthesised list of string literals, for ``in (...)``."""
    return "(" + ", ".join(sql_literal(v) for v in values) + ")"


def sql_timestamp(moment: datetime) -> str:
    """A naive ``timestamp '...'`` literal to the microsecond (load times are naive UTC)."""
    return f"timestamp '{moment:%Y-%m-%d %H:%M:%S.%f}'"


def relations_in(schema: str | None, database: str | None = None) -> str:
    """A query for the names of the tables and views of ``schema`` (of every schema when
    None) in ``database`` (the connection's own when None), as (schema, name) in name order:
    a mart may be a view over the table that holds its rows."""
    catalog = "current_database()" if database is None else sql_literal(database)
    schema_test = "true" if schema is None else f"schema_name = {sql_literal(schema)}"
    return (
        "select schema_name, name from ("
        "select database_name, schema_name, table_name as name from duckdb_tables() "
        "union all select database_name, schema_name, view_name from duckdb_views() "
        "where not internal) "
        f"where database_name = {catalog} and {schema_test} order by name"
    )
