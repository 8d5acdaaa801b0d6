"""How long-running commands log (`serve`): plain lines for a terminal, or one JSON object per line for a log
collector (journald, Loki, CloudWatch). Messages never carry a push's body; see docs/continuous.md."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime


class JsonLines(logging.Formatter):
    """ts, level, logger, message (and exc_info as text) as one JSON object."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


#: Loggers told at INFO: orderlayer's own and the server's (requests: method, path, status). Every other library
#: (singer-sdk's per-request metrics, Great Expectations, dbt's adapters) only from WARNING: at INFO they say
#: thousands of lines a minute that no operator reads.
INFO_LOGGERS = ("orderlayer", "uvicorn.error", "uvicorn.access")


class _Quiet(logging.Filter):
    """INFO and above from INFO_LOGGERS, WARNING and above from any other (a library that sets its own logger to INFO,
    as singer-sdk's metrics do, still reaches the handler: the filter is where it stops)."""

    def __init__(self, level: int) -> None:
        super().__init__()
        self.level = level

    def filter(self, record: logging.LogRecord) -> bool:
        ours = any(record.name == n or record.name.startswith(n + ".") for n in INFO_LOGGERS)
        return record.levelno >= (self.level if ours else max(self.level, logging.WARNING))


def configure_logging(*, json_lines: bool = False, level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonLines() if json_lines else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(_Quiet(level))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
