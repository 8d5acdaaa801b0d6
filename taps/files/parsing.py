"""Which cell texts a file source's staging model can read, decided in Python for `orderlayer files check` and the
sync's pre-flight check. The rules are those of the SQL macros the generated models call (macros/time.sql
`to_utc` 'iso' and 'local', macros/amounts.sql A1), so a column the check passes is a column staging reads."""

from __future__ import annotations

import datetime as dt
import re
import typing as t

if t.TYPE_CHECKING:
    from orderlayer.taps.files.mapping import FileMapping

#: Cells that stand for "no time" (rule T2), never a parse failure.
TIME_SENTINELS = frozenset({"", "0", "0000-00-00 00:00:00", "1970-01-01 08:00:00", "1970-01-01 00:00:00"})
_ISO_OFFSET = re.compile(r"(Z|[+-][0-9]{2}:?[0-9]{2})$")
_MAJOR = re.compile(r"-?[0-9]{1,16}(\.[0-9]{1,2})?")
_MINOR = re.compile(r"-?[0-9]{1,18}")
_INTEGER = re.compile(r"-?[0-9]{1,9}")


def is_blank(kind: str, text: str | None) -> bool:
    """A cell that holds no value of ``kind`` (empty, or a time sentinel): neither parsed nor failed."""
    if text is None or not text.strip():
        return True
    return kind == "time" and text.strip() in TIME_SENTINELS


def parses(text: str, kind: str, mapping: FileMapping) -> bool:
    """Whether a non-blank cell is a valid ``kind`` (time, amount, integer) under the mapping's formats."""
    value = text.strip()
    if kind == "time":
        if _ISO_OFFSET.search(value):
            try:
                dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
                return True
            except ValueError:
                pass
        try:
            dt.datetime.strptime(value, mapping.time_format)
            return True
        except ValueError:
            return False
    if kind == "amount":
        return bool((_MINOR if mapping.unit == "minor" else _MAJOR).fullmatch(value))
    if kind == "integer":
        return bool(_INTEGER.fullmatch(value))
    return True
