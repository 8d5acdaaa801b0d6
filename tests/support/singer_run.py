"""The in-process Singer runner the tap test kits share: run a tap's full sync, parse its stdout.

Every ``*_tapkit.py`` used to carry its own copy of ``SyncResult`` / ``TapFailed`` / ``run_tap``; they live
here once. A kit binds ``run_tap`` to its tap class and, where its tests read a channel-specific id list
(``tids``, ``order_ids``...), subclasses ``SyncResult`` with that one property. ``TapFailed`` is one class
object for every kit, so ``pytest.raises(TapFailed)`` catches whichever kit's runner raised it.

(A uniquely named module rather than conftest.py: test folders without __init__.py share one ``conftest``
module name, so importing from it is ambiguous.)
"""

from __future__ import annotations

import io
import json
import typing as t
from contextlib import redirect_stdout
from dataclasses import dataclass, field

__all__ = ["SyncResult", "TapFailed", "run_tap"]


@dataclass
class SyncResult:
    """Singer messages of one in-process tap run (``lines``: its stdout, line by line)."""

    #: ``json.loads``' ``parse_float`` for the messages; a subclass sets ``decimal.Decimal`` for exact numbers.
    parse_float: t.ClassVar[t.Callable[[str], t.Any] | None] = None

    lines: list[str]
    messages: list[dict] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.messages = [json.loads(line, parse_float=type(self).parse_float) for line in self.lines if line.strip()]

    @property
    def text(self) -> str:
        """The whole stdout, for digit-for-digit checks on the wire."""
        return "\n".join(self.lines)

    @property
    def records(self) -> list[dict]:
        return [m["record"] for m in self.messages if m["type"] == "RECORD"]

    def stream_records(self, stream: str) -> list[dict]:
        """The records of one stream (a tap with several streams)."""
        return [m["record"] for m in self.messages if m["type"] == "RECORD" and m["stream"] == stream]

    @property
    def states(self) -> list[dict]:
        return [m["value"] for m in self.messages if m["type"] == "STATE"]

    @property
    def final_state(self) -> dict:
        return self.states[-1]


class TapFailed(Exception):
    """The tap raised; ``result`` holds what it emitted before."""

    def __init__(self, cause: BaseException, result: SyncResult) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.result = result


R = t.TypeVar("R", bound=SyncResult)


def run_tap(tap_class: t.Callable[..., t.Any], config: dict, state: dict | None = None, *, result_class: type[R] = SyncResult) -> R:  # type: ignore[assignment]
    """Run a full sync of ``tap_class`` in-process and parse its stdout into ``result_class``.

    Raises ``TapFailed`` (cause + the partial result) if the tap raised. stdout is a text wrapper over bytes,
    so a writer using ``sys.stdout.buffer`` is captured too.
    """
    buffer = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    error: BaseException | None = None
    with redirect_stdout(buffer):
        try:
            tap_class(config=dict(config), state=state, parse_env_config=False).sync_all()
        except Exception as exc:  # noqa: BLE001 - handed to the caller with the partial output
            error = exc
    buffer.seek(0)
    result = result_class(buffer.read().splitlines())
    if error is not None:
        raise TapFailed(error, result)
    return result
