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


def configure_logging(*, json_lines: bool = False, level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonLines() if json_lines else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(max(level, logging.WARNING))
    for name in INFO_LOGGERS:
        logging.getLogger(name).setLevel(level)
