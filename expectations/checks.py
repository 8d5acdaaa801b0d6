"""One gate check = a GX expectation plus the SQL predicate that picks the same unexpected rows.

GX decides whether a check passed (its `success`, with its `severity`); the predicate lets the runner
split the failing rows per channel and name example keys in one GROUP BY, pushed down to DuckDB.
Each builder derives both from the same arguments so they cannot drift apart; the tests also
compare GX's unexpected count with the predicate's for every check.

A predicate is a boolean SQL expression over one row of the judged model, TRUE exactly for the
rows GX counts as unexpected (NULL counts as "not unexpected", as in GX's map expectations). Columns
are unqualified; `{model}` stands for the model's table where a predicate needs a subquery over it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Literal, Sequence

import great_expectations.expectations as gxe
from great_expectations.expectations.expectation import Expectation
from great_expectations.expectations.row_conditions import (
    AndCondition,
    ComparisonCondition,
    Condition,
    NullityCondition,
)

from orderlayer.core.warehouse import check_identifier, sql_literal

Severity = Literal["critical", "warning"]

#: What an UnexpectedRowsExpectation query returns: keys only, never personal columns.
REPORT_COLUMNS = ("channel", "order_key")


@dataclass(frozen=True)
class Check:
    name: str
    expectation: Expectation
    predicate: str

    @property
    def severity(self) -> str:
        return self.expectation.severity.value

    def predicate_on(self, table: str) -> str:
        # str.replace, not format: SQL may carry braces of its own.
        return self.predicate.replace("{model}", table)


def not_null(name: str, column: str, severity: Severity, where: Condition | None = None) -> Check:
    col = check_identifier(column)
    return Check(
        name,
        gxe.ExpectColumnValuesToNotBeNull(column=col, severity=severity, **_row_condition(where)),
        _and(where, f"{col} IS NULL"),
    )


def between(
    name: str,
    column: str,
    severity: Severity,
    *,
    min_value: object = None,
    max_value: object = None,
    where: Condition | None = None,
    literal: Callable[[object], str] = sql_literal,
) -> Check:
    """`literal` writes the bounds in the warehouse's SQL (an instant differs: `sql_dialect.GateDialect.literal`)."""
    if min_value is None and max_value is None:
        raise ValueError(f"check {name}: give min_value, max_value or both")
    col = check_identifier(column)
    # GX's between ignores NULLs and is inclusive on both ends; `<`/`>` on NULL are NULL, so this agrees.
    outside = [f"{col} < {literal(min_value)}"] if min_value is not None else []
    outside += [f"{col} > {literal(max_value)}"] if max_value is not None else []
    return Check(
        name,
        gxe.ExpectColumnValuesToBeBetween(
            column=col, min_value=min_value, max_value=max_value, severity=severity, **_row_condition(where)
        ),
        _and(where, "(" + " OR ".join(outside) + ")"),
    )


def unique(name: str, columns: Sequence[str], severity: Severity) -> Check:
    cols = [check_identifier(c) for c in columns]
    listed = ", ".join(cols)
    if len(cols) == 1:
        expectation: Expectation = gxe.ExpectColumnValuesToBeUnique(column=cols[0], severity=severity)
        # Every row of a duplicated value is unexpected; NULLs are ignored (GX's rule).
        predicate = f"{cols[0]} IN (SELECT {cols[0]} FROM {{model}} GROUP BY {cols[0]} HAVING count(*) > 1)"
    else:
        expectation = gxe.ExpectCompoundColumnsToBeUnique(column_list=cols, severity=severity)
        # GX joins rows to their group counts on equality, so a row with a NULL in any key column
        # never counts as a duplicate; a row-value IN with a NULL member is NULL, which agrees (the
        # WHERE only keeps such rows out of the GROUP BY).
        not_null_keys = " AND ".join(f"{c} IS NOT NULL" for c in cols)
        predicate = (
            f"({listed}) IN (SELECT {listed} FROM {{model}} WHERE {not_null_keys} "
            f"GROUP BY {listed} HAVING count(*) > 1)"
        )
    return Check(name, expectation, predicate)


def pair_equal(name: str, column_a: str, column_b: str, severity: Severity) -> Check:
    a, b = check_identifier(column_a), check_identifier(column_b)
    # GX's default ignore_row_if ("both_values_are_missing") skips rows where both are NULL and counts
    # a row with one NULL as unexpected: exactly IS DISTINCT FROM.
    return Check(
        name,
        gxe.ExpectColumnPairValuesToBeEqual(column_A=a, column_B=b, severity=severity),
        f"{a} IS DISTINCT FROM {b}",
    )


def not_in_set(name: str, column: str, values: Sequence[str], severity: Severity) -> Check:
    col = check_identifier(column)
    return Check(
        name,
        gxe.ExpectColumnValuesToNotBeInSet(column=col, value_set=list(values), severity=severity),
        f"{col} IN ({', '.join(sql_literal(v) for v in values)})",
    )


def rows(name: str, predicate: str, severity: Severity, description: str) -> Check:
    """A check GX has no built-in for: GX counts the rows of `SELECT keys FROM {batch} WHERE predicate`."""
    query = f"SELECT {', '.join(REPORT_COLUMNS)} FROM {{batch}} WHERE {predicate.replace('{model}', '{batch}')}"
    return Check(
        name,
        gxe.UnexpectedRowsExpectation(unexpected_rows_query=query, description=description, severity=severity),
        predicate,
    )


def condition_sql(condition: Condition) -> str:
    """Render the subset of GX row conditions the gates use, with GX's NULL semantics."""
    if isinstance(condition, ComparisonCondition):
        col = check_identifier(condition.column.name)
        op = str(condition.operator)
        if op in ("IN", "NOT_IN"):
            values = ", ".join(sql_literal(v) for v in condition.parameter)
            return f"{col} {'IN' if op == 'IN' else 'NOT IN'} ({values})"
        sql_op = {"==": "=", "!=": "<>"}.get(op, op)
        return f"{col} {sql_op} {sql_literal(condition.parameter)}"
    if isinstance(condition, NullityCondition):
        col = check_identifier(condition.column.name)
        return f"{col} IS {'NULL' if condition.is_null else 'NOT NULL'}"
    if isinstance(condition, AndCondition):
        return " AND ".join(f"({condition_sql(c)})" for c in condition.conditions)
    raise TypeError(f"row condition {condition!r} is not supported by the gate runner")


def _row_condition(where: Condition | None) -> dict[str, object]:
    return {} if where is None else {"row_condition": where}


def _and(where: Condition | None, predicate: str) -> str:
    return predicate if where is None else f"({condition_sql(where)}) AND {predicate}"
