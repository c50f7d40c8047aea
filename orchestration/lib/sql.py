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
