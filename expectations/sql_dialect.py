"""The SQL spellings the gates need that DuckDB and Spark SQL write differently, named for what they mean.

The gate inputs, predicates, notes and drill-downs are one text per gate with these calls in it (`inputs.py`,
`gates.py`, `runner.py`); everything else they use (FILTER clauses, `::` casts, IS [NOT] DISTINCT FROM, median,
bool_or, any_value, GROUP BY ALL, VALUES lists, windows) is common to both. `DUCKDB` gives exactly the SQL the
gates ran before Spark existed; `SPARK` the Spark SQL with the same answers (tests/expectations/test_spark_gates.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from orderlayer.core.warehouse import sql_literal

#: a Python format field in a note template: {}, {:.2f}, {:g}
_FIELD = re.compile(r"\{(:[^}]*)?\}")


@dataclass(frozen=True)
class GateDialect:
    name: str

    @property
    def is_spark(self) -> bool:
        return self.name == "spark"

    @property
    def text(self) -> str:
        """The text type (Spark's VARCHAR needs a length)."""
        return "STRING" if self.is_spark else "VARCHAR"

    @property
    def not_materialized(self) -> str:
        """A CTE read twice that DuckDB should inline rather than materialise (Spark always inlines)."""
        return "" if self.is_spark else "NOT MATERIALIZED "

    @property
    def semi_join(self) -> str:
        return "LEFT SEMI JOIN" if self.is_spark else "SEMI JOIN"

    def empty_list(self) -> str:
        return "CAST(array() AS ARRAY<STRING>)" if self.is_spark else "[]::VARCHAR[]"

    def list_of(self, items: list[str]) -> str:
        return f"array({', '.join(items)})" if self.is_spark else f"[{', '.join(items)}]"

    def at(self, items: str, position: int) -> str:
        """The `position`-th (1-based) element of a list."""
        return f"element_at({items}, {int(position)})" if self.is_spark else f"{items}[{int(position)}]"

    def list_has(self, items: str, value: str) -> str:
        return f"array_contains({items}, {value})" if self.is_spark else f"list_contains({items}, {value})"

    def list_size(self, items: str) -> str:
        # Spark's size() of a NULL list is -1 (legacy sizeOfNull): NULL in, NULL out as in DuckDB
        return f"CASE WHEN {items} IS NOT NULL THEN size({items}) END" if self.is_spark else f"len({items})"

    def smallest(self, expression: str, n: int, where: str | None = None) -> str:
        """Aggregate: the `n` smallest distinct values of `expression` over the rows `where` holds, a sorted list
        (empty when none)."""
        if n <= 0:
            return self.empty_list()
        if self.is_spark:
            # collect_set of no row is an empty list
            return f"slice(array_sort(collect_set({expression}){_filter(where)}), 1, {int(n)})"
        # min(x, n) keeps the n smallest with a bounded heap: no list of every failing key
        if where is None:
            return f"min(DISTINCT {expression}, {int(n)})"
        return f"coalesce(min({expression}, {int(n)}){_filter(where)}, {self.empty_list()})"

    def largest_by(self, expression: str, by: str, n: int, where: str) -> str:
        """Aggregate: `expression` of the `n` rows with the largest `by` (ties by `expression`, largest first)."""
        if n <= 0:
            return self.empty_list()
        if self.is_spark:
            ranked = f"reverse(array_sort(collect_list(named_struct('v', {by}, 'k', {expression})){_filter(where)}))"
            return f"transform(slice({ranked}, 1, {int(n)}), r -> r.k)"
        return f"coalesce(max_by({expression}, ({by}, {expression}), {int(n)}){_filter(where)}, {self.empty_list()})"

    def first_of_lists(self, column: str, n: int) -> str:
        """Aggregate: the lists of `column` made one list, its first `n` elements."""
        if self.is_spark:
            return f"slice(flatten(collect_list({column})), 1, {int(n)})"
        return f"flatten(list({column}))[1:{int(n)}]"

    def distinct_sorted_head(self, lists: list[str], n: int) -> str:
        """The lists made one, distinct values sorted, the first `n`."""
        if self.is_spark:
            return f"slice(array_sort(array_distinct(flatten(array({', '.join(lists)})))), 1, {int(n)})"
        return f"list_sort(list_distinct(flatten([{', '.join(lists)}])))[1:{int(n)}]"

    def json_texts(self, column: str, paths: list[str]) -> str:
        """The text at each JSONPath of a JSON text column, as a list."""
        if self.is_spark:
            return f"array({', '.join(f'get_json_object({column}, {sql_literal(p)})' for p in paths)})"
        return f"json_extract_string({column}, [{', '.join(sql_literal(p) for p in paths)}])"

    def local_hour(self, zone: str, instant: str) -> str:
        """The hour of `instant` on the wall clock of the IANA `zone` (an expression)."""
        return f"hour(from_utc_timestamp({instant}, {zone}))" if self.is_spark else f"hour(timezone({zone}, {instant}))"

    def days(self, first: str, last: str) -> str:
        """Set-returning: every date from `first` to `last`, one row each."""
        if self.is_spark:
            return f"explode(sequence({first}, {last}, INTERVAL 1 DAY))"
        return f"unnest(generate_series({first}::TIMESTAMP, {last}::TIMESTAMP, INTERVAL 1 DAY))::DATE"

    def window_median(self, expression: str, window: str) -> str:
        """The median of `expression` over the named `window` (a frame of rows; NULL when empty). Spark takes no frame
        for median(): the frame's values are collected, sorted and the middle one (or two, averaged) picked."""
        if not self.is_spark:
            return f"median({expression}) OVER {window}"
        values = f"array_sort(collect_list({expression}) OVER {window})"
        n, half = f"size({values})", f"CAST(size({values}) / 2 AS INT)"  # / is a DOUBLE division; the cast truncates
        return (
            f"CASE WHEN {n} = 0 THEN NULL WHEN {n} % 2 = 1 THEN CAST(element_at({values}, {half} + 1) AS DOUBLE) "
            f"ELSE (element_at({values}, {half}) + element_at({values}, {half} + 1)) / 2.0D END"
        )

    def literal(self, value: object) -> str:
        """A Python value as a SQL literal (`core/warehouse.py sql_literal`); a timezone-aware datetime as an instant."""
        if self.is_spark and isinstance(value, datetime):
            if value.tzinfo is None:
                raise ValueError(f"naive datetime {value}: gate bounds must carry a UTC offset")
            return f"TIMESTAMP '{value.isoformat()}'"
        return sql_literal(value)

    def format(self, template: str, *args: str) -> str:
        """Text from a template with Python's fields ({}, {:.2f}, {:g}) filled by SQL expressions, as DuckDB's
        format() does it; on Spark the same text through format_string()."""
        if not self.is_spark:
            return f"format({sql_literal(template)}, {', '.join(args)})"
        fields = _FIELD.findall(template)
        if len(fields) != len(args):
            raise ValueError(f"{template!r}: {len(fields)} fields for {len(args)} values")
        values = []
        for spec, arg in zip(fields, args):
            if spec == ":g":
                # a whole number without ".0", as Python's {:g} writes the medians Y4 shows
                values.append(f"regexp_replace(CAST(CAST({arg} AS DOUBLE) AS STRING), '\\.0$', '')")
            elif spec:
                values.append(f"CAST({arg} AS DOUBLE)")
            else:
                values.append(f"CAST({arg} AS STRING)")
        java = _FIELD.sub(lambda m: f"%{m.group(1)[1:]}" if m.group(1) and m.group(1) != ":g" else "%s", template.replace("%", "%%"))
        return f"format_string({sql_literal(java)}, {', '.join(values)})"

    def joined(self, expression: str, order: str, separator: str, where: str) -> str:
        """Aggregate: `expression` of the rows `where` holds, ordered by `order`, joined by `separator`; NULL when
        no row."""
        if self.is_spark:
            rows = f"array_sort(collect_list(named_struct('o', {order}, 't', {expression})){_filter(where)})"
            return f"nullif(array_join(transform({rows}, r -> r.t), {sql_literal(separator)}), '')"
        return f"string_agg({expression}, {sql_literal(separator)} ORDER BY {order}){_filter(where)}"


def _filter(where: str | None) -> str:
    return f" FILTER (WHERE {where})" if where else ""


DUCKDB = GateDialect("duckdb")
SPARK = GateDialect("spark")
