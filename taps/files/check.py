"""Compare a mapping with the files it would read, before anything lands (`orderlayer files check`, every sync).

Two mistakes used to pass silently and publish NULLs: a mapped header that no file has (a typo: the generated
model reads a cell that never exists) and a time or amount column that no row can be read from (a wrong
`time_format` or `amount_unit`). Both are errors here, each naming the mapping key, the file and the fix.
"""

from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from orderlayer.taps.files.mapping import LINE_FIELDS, ORDER_FIELDS, FileMapping
from orderlayer.taps.files.parsing import is_blank, parses
from orderlayer.taps.files.reader import matching_files, read_rows

#: Value kinds a column is checked for (text, lists, flags and personal data read as they are).
_CHECKED = ("time", "amount", "integer")


@dataclass
class CheckResult:
    #: (file kind, file name, data rows) of every matched file
    files: list[tuple[str, str, int]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _typed_columns(mapping: FileMapping) -> dict[tuple[str, str], tuple[str, list[str]]]:
    """(file kind, header) -> (value kind, mapping keys) for every column read as a time, amount or quantity."""
    typed: dict[tuple[str, str], tuple[str, list[str]]] = {}
    groups = [("columns", ORDER_FIELDS, mapping.order_fields(), "orders"),
              ("line_columns", LINE_FIELDS, mapping.line_fields(), "lines")]
    for key, kinds, specs, own in groups:
        for name, spec in specs.items():
            if kinds[name] not in _CHECKED:
                continue
            for column in spec.columns():
                entry = typed.setdefault((spec.file or own, column), (kinds[name], []))
                entry[1].append(f"{key}.{name}")
    return typed


def check_files(mapping: FileMapping, base_dir: Path) -> CheckResult:
    result = CheckResult()
    used = mapping.used_columns()
    typed = _typed_columns(mapping)
    filled: Counter[tuple[str, str]] = Counter()
    readable: Counter[tuple[str, str]] = Counter()
    sample: dict[tuple[str, str], str] = {}
    for kind, spec in mapping.files.items():
        found = matching_files(spec, base_dir)
        if not found:
            result.notes.append(f"files.{kind}.path: no file matches {spec.path!r} (relative to {base_dir})")
        for path in found:
            rows = 0
            header: list[str] | None = None
            for row in read_rows(path, spec):
                rows += 1
                if header is None:
                    header = list(row.values)
                    _compare_header(kind, path.name, header, used[kind], result)
                for column in used[kind]:
                    if (kind, column) not in typed or column not in row.values:
                        continue
                    text = row.values[column]
                    if is_blank(typed[kind, column][0], text):
                        continue
                    filled[kind, column] += 1
                    if parses(text or "", typed[kind, column][0], mapping):
                        readable[kind, column] += 1
                    else:
                        sample.setdefault((kind, column), f"{path.name} line {row.line}: {text!r}")
            if header is None:
                result.notes.append(f"{path.name}: no data rows")
            result.files.append((kind, path.name, rows))
    for (kind, column), (value_kind, keys) in typed.items():  # in mapping order
        count = filled[kind, column]
        if count and readable[kind, column] == 0:
            result.errors.append(
                f"{', '.join(keys)}: column {column!r} of the {kind} file(s) has {count} non-empty cell(s) and none is "
                f"a valid {value_kind} (e.g. {sample[kind, column]}); {_fix(value_kind, mapping)}"
            )
    return result


def _compare_header(kind: str, file: str, header: list[str], used: dict[str, list[str]], result: CheckResult) -> None:
    for column, keys in used.items():
        if column in header:
            continue
        near = difflib.get_close_matches(column, header, n=1, cutoff=0.5)
        hint = f"did you mean {near[0]!r}?" if near else f"its headers are {', '.join(repr(h) for h in header[:12])}"
        result.errors.append(f"{', '.join(keys)}: column {column!r} is not in the header of {file} ({kind}); {hint}")


def _fix(value_kind: str, mapping: FileMapping) -> str:
    if value_kind == "time":
        return f"time_format is {mapping.time_format!r} (ISO-8601 with an offset is also read): set it to the export's format"
    if value_kind == "amount":
        return (f"amount_unit is {mapping.amount_unit!r}: major units are decimals with at most two places (12.30), "
                "minor units whole numbers (1230), without currency signs or thousands separators")
    return "quantities are whole numbers"
