"""Quoting for the SQL that ingest and publish generate: the one place values and names are
made safe to splice into a statement."""

from __future__ import annotations

from collections.abc import Iterable


def sql_literal(value: str) -> str:
    """A SQL string literal: ``it's`` -> ``'it''s'``."""
    return "'" + value.replace("'", "''") + "'"


def sql_identifier(name: str) -> str:
    """A quoted SQL identifier, so any column or table name is safe."""
    return '"' + name.replace('"', '""') + '"'


def sql_list(values: Iterable[str]) -> str:
    """A parenthesised list of string literals, for ``in (...)``."""
    return "(" + ", ".join(sql_literal(v) for v in values) + ")"
