"""How a suite is written: a table, the columns that identify its rows, and checks.

Every check is one Great Expectations ``UnexpectedRowsExpectation``: a SQL query that
selects the offending rows of the table, run inside DuckDB. One expectation type for
everything keeps the per-expectation overhead of GX low (each check is two small
queries), works on DuckDB where GX's type and regex expectations do not, and lets every
failure show the key of the rows it found, not just their values.

The helpers below name the checks; a suite module lists them. A query reads the suite's
table as ``{table} as b`` and may name dbt vars as ``{var_name}``; it holds no literal
braces (queries are formatted twice: vars here, GX's ``{batch}`` at validation).

A suite whose table is only ever appended to (the raw tables) may be validated over its new
rows alone (``Suite.new_rows``): the older rows passed the same checks when they arrived. Then
``{table}`` holds only the new rows, and a check across rows that must also see the older
ones (uniqueness) gives ``new_rows_query``, which reads the whole table as ``{whole_table}``.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from orchestration.lib.sql import sql_list, sql_literal

if TYPE_CHECKING:
    from great_expectations.expectations import UnexpectedRowsExpectation

Vars = Mapping[str, object]

LAYERS = ("raw", "staging", "marts")


@dataclass(frozen=True)
class Check:
    """One rule: the rows of the table it selects are the unexpected ones.

    ``where`` is a condition on a row ``b`` of the table; a failure shows the table key and
    the ``show`` columns of the rows it holds. ``query`` replaces both for checks across rows
    or tables: a whole query over ``{table} as b`` whose rows are the failure sample.
    """

    name: str
    where: str = ""
    show: tuple[str, ...] = ()
    query: str = ""
    column: str | None = None
    new_rows_query: str = ""

    def __post_init__(self) -> None:
        if bool(self.where) == bool(self.query):
            raise ValueError(f"check {self.name!r}: give exactly one of where and query")

    def sql(self, key: Sequence[str], new_rows_only: bool = False) -> str:
        if new_rows_only and self.new_rows_query:
            return self.new_rows_query
        if self.query:
            return self.query
        shown = ", ".join(f"b.{c}" for c in dict.fromkeys((*key, *self.show)))
        return f"select {shown or '*'} from {{table}} as b where {self.where}"


@dataclass(frozen=True)
class Suite:
    """The checks of one table. ``key`` identifies a row in failure samples (never personal
    data: samples are stored with the validation results and shown in the data docs)."""

    table: str  # schema.table
    layer: str
    key: tuple[str, ...]
    checks: tuple[Check, ...]
    description: str = ""
    # A condition on a row ``b`` that holds for the rows loaded after ``{loaded_after}``
    # (a timestamp), for a table only ever appended to; empty: always validated whole.
    new_rows: str = ""

    def __post_init__(self) -> None:
        if self.layer not in LAYERS:
            raise ValueError(f"suite {self.table}: layer {self.layer!r} is not one of {LAYERS}")
        if self.table.count(".") != 1:
            raise ValueError(f"suite {self.table}: name the table as schema.table")
        names = [c.name for c in self.checks]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"suite {self.table}: checks named twice: {duplicates}")

    @property
    def name(self) -> str:
        return self.table

    @property
    def schema(self) -> str:
        return self.table.split(".")[0]

    @property
    def table_name(self) -> str:
        return self.table.split(".")[1]

    def _reads_new_rows(self, loaded_after: str | None) -> bool:
        return loaded_after is not None and bool(self.new_rows)

    def batch_query(self, loaded_after: str | None = None) -> str:
        """The rows a validation reads: the new rows when ``loaded_after`` is given and the
        suite knows its new rows, else the whole table."""
        if not self._reads_new_rows(loaded_after):
            return f"select * from {self.table}"
        condition = self.new_rows.format(
            loaded_after=f"cast({sql_literal(loaded_after)} as timestamp)"
        )
        return f"select * from {self.table} as b where {condition}"

    def expectations(
        self, vars: Vars, loaded_after: str | None = None
    ) -> list[UnexpectedRowsExpectation]:
        """The GX expectations of this suite, with the vars its queries name filled in, for
        the rows ``batch_query(loaded_after)`` reads."""
        # Imported here: importing GX takes seconds, and the suites are listed without it.
        import great_expectations.expectations as gxe

        new_rows_only = self._reads_new_rows(loaded_after)
        return [
            gxe.UnexpectedRowsExpectation(
                unexpected_rows_query=render(
                    check.sql(self.key, new_rows_only), vars, whole_table=self.table
                ),
                description=check.name,
                meta={"check": check.name, "column": check.column},
            )
            for check in self.checks
        ]


def render(query: str, vars: Vars, whole_table: str | None = None) -> str:
    """Fill ``{var}`` placeholders with SQL literals, ``{table}`` with GX's batch and
    ``{whole_table}`` with the suite's table.

    GX substitutes ``{batch}`` with the table name or with an aliased subquery, depending
    on the query, so the table is always read through a subquery a check can alias.

    Queries are formatted twice (here, then by GX), so they hold no literal braces."""
    if "{{" in query or "}}" in query:
        raise ValueError(f"a check query cannot hold literal braces: {query}")
    values = {name: sql_value(value) for name, value in vars.items()}
    values["table"] = "(select * from {batch})"
    if whole_table is not None:
        values["whole_table"] = whole_table
    names = {f for _, f, _, _ in string.Formatter().parse(query) if f}
    missing = sorted(names - values.keys())
    if missing:
        raise KeyError(f"query names vars that are not set: {missing}")
    return query.format_map(values)


def sql_value(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return sql_literal(str(value))


# --- the checks suites list ---------------------------------------------------------------


def not_null(*columns: str) -> tuple[Check, ...]:
    """One check per column, so a failure names its column."""
    return tuple(
        Check(f"{c} is not null", where=f"b.{c} is null", show=(c,), column=c) for c in columns
    )


def unique(*columns: str) -> Check:
    """No two rows share these columns (nulls aside); the sample shows each repeated key.
    Over new rows only, a new row's key must not repeat anywhere in the whole table (an
    ``in`` over the new keys: DuckDB runs the same ``exists`` ten times slower, as a
    delim join over every row)."""
    cols = ", ".join(f"b.{c}" for c in columns)
    not_nulls = " and ".join(f"b.{c} is not null" for c in columns)
    new_keys = ", ".join(f"n.{c}" for c in columns)
    name = f"{columns[0]} is unique" if len(columns) == 1 else f"({', '.join(columns)}) is unique"
    grouped = f"group by {cols} having count(*) > 1"
    return Check(
        name,
        query=(
            f"select {cols}, count(*) as row_count from {{table}} as b where {not_nulls} {grouped}"
        ),
        new_rows_query=(
            f"select {cols}, count(*) as row_count from {{whole_table}} as b where {not_nulls} "
            f"and ({cols}) in (select {new_keys} from {{table}} as n) {grouped}"
        ),
        column=columns[0] if len(columns) == 1 else None,
    )


def one_of(column: str, values: Iterable[str]) -> Check:
    """The column holds one of ``values`` (nulls pass: ``not_null`` checks those)."""
    allowed = tuple(values)
    return Check(
        f"{column} is one of {', '.join(allowed)}",
        where=f"b.{column} not in {sql_list(allowed)}",
        show=(column,),
        column=column,
    )


def between(column: str, low: float | None = None, high: float | None = None) -> Check:
    """low <= column <= high (either bound may be open); nulls pass."""
    if low is None and high is None:
        raise ValueError("between() needs a bound")
    if high is None:
        name, where = f"{column} >= {low}", f"b.{column} < {low}"
    elif low is None:
        name, where = f"{column} <= {high}", f"b.{column} > {high}"
    else:
        name, where = f"{column} in [{low}, {high}]", f"b.{column} not between {low} and {high}"
    return Check(name, where=where, show=(column,), column=column)


def rows(name: str, where: str, *show: str, column: str | None = None) -> Check:
    """Rows for which ``where`` holds are unexpected: a rule across columns of one row."""
    return Check(name, where=where, show=show, column=column)


def currency_code(column: str = "currency") -> Check:
    # [A-Z]{3} would need braces, which check queries cannot hold.
    return rows(
        f"{column} is a three-letter upper-case code",
        f"not regexp_full_match(b.{column}, '[A-Z][A-Z][A-Z]')",
        column,
        column=column,
    )


def references(column: str, target: str, target_column: str | None = None) -> Check:
    """Every non-null ``column`` exists in ``target`` (schema.table): an anti-join."""
    target_column = target_column or column
    return Check(
        f"{column} exists in {target}.{target_column}",
        where=(
            f"b.{column} is not null and not exists "
            f"(select 1 from {target} as t where t.{target_column} = b.{column})"
        ),
        show=(column,),
        column=column,
    )


def column_types(expected: Mapping[str, str]) -> Check:
    """The table has exactly these columns, with these DuckDB types (``VARCHAR``,
    ``DECIMAL(18,4) NOT NULL``, ...). GX's type expectations fail on DuckDB, so this reads
    DuckDB's own ``describe``; the sample lists each missing, extra or mistyped column."""
    wanted = ", ".join(
        f"({sql_literal(c)}, {sql_literal(_normal_type(t))})" for c, t in expected.items()
    )
    return Check(
        "columns, types and not-null constraints match the contract",
        query=(
            f"with expected(column_name, data_type) as (values {wanted}), "
            "actual as (select column_name, replace(upper(column_type), ' ', '') "
            "|| case when \"null\" = 'NO' then ' NOT NULL' else '' end as data_type "
            "from (describe select * from {table})) "
            "select coalesce(e.column_name, a.column_name) as column_name, "
            "e.data_type as expected_type, a.data_type as actual_type "
            "from expected as e full outer join actual as a on a.column_name = e.column_name "
            "where e.data_type is distinct from a.data_type"
        ),
    )


def _normal_type(sql_type: str) -> str:
    """``decimal(18, 4) not null`` -> ``DECIMAL(18,4) NOT NULL``, as ``describe`` shows it."""
    sql_type = " ".join(sql_type.upper().split())
    not_null = sql_type.endswith(" NOT NULL")
    base = sql_type.removesuffix(" NOT NULL").replace(" ", "")
    return base + (" NOT NULL" if not_null else "")


def suite(
    table: str,
    layer: str,
    key: Sequence[str],
    *checks: Check | Iterable[Check],
    description: str = "",
    new_rows: str = "",
) -> Suite:
    """A Suite from checks and groups of checks (``not_null`` returns a group)."""
    flat: list[Check] = []
    for item in checks:
        flat.extend([item] if isinstance(item, Check) else item)
    return Suite(table, layer, tuple(key), tuple(flat), description, new_rows)
