"""Keep credentials out of log lines and error messages.

Signed-query platforms (Douyin, JD, Taobao, PDD) put ``access_token`` and ``sign`` in the
URL, and ``requests``/``urllib3`` repeat that URL in connection errors and DEBUG logs.
Everything a tap logs or raises goes through :func:`redact`, and :class:`SecretFilter` is
attached to the loggers we do not control.
"""

from __future__ import annotations

import logging
import re
import typing as t
from collections.abc import Iterable, Mapping

#: Query/body parameter names whose values are secret (or, like ``sign``, a MAC of one).
SECRET_PARAM_NAMES: tuple[str, ...] = (
    "access_token",
    "refresh_token",
    "app_secret",
    "sign",
)

_REDACTED = "***"


def _param_pattern(names: Iterable[str]) -> re.Pattern[str]:
    alternation = "|".join(re.escape(n) for n in names)
    # name=value in query strings, and "name": "value" in JSON fragments.
    return re.compile(
        rf"(?P<q>(?<![A-Za-z0-9_])(?:{alternation})=)[^&\s'\"<>]+"
        rf"|(?P<j>\"(?:{alternation})\"\s*:\s*\")[^\"]*"
    )


_DEFAULT_PATTERN = _param_pattern(SECRET_PARAM_NAMES)


def redact(text: str, secrets: Iterable[str] = (), *, pattern: re.Pattern[str] = _DEFAULT_PATTERN) -> str:
    """Mask secret parameter values and any literal secret in ``text``."""

    def _mask(match: re.Match[str]) -> str:
        prefix = match.group("q") or match.group("j")
        return f"{prefix}{_REDACTED}"

    text = pattern.sub(_mask, text)
    # Longest first so a secret that contains another is masked whole.
    for secret in sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True):
        text = text.replace(secret, _REDACTED)
    return text


class SecretFilter(logging.Filter):
    """Rewrites log records so neither secret parameters nor known secret values leak.

    ``secrets`` is live: add refreshed tokens with :meth:`add` as they are issued.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets: set[str] = {s for s in secrets if s}

    def add(self, *secrets: str | None) -> None:
        self._secrets.update(str(s) for s in secrets if s)

    def redact(self, text: str) -> str:
        """:func:`redact` with this filter's known secret values."""
        return redact(text, self._secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string must not kill logging
            return True
        cleaned = redact(message, self._secrets)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self._secrets)
        return True


def guard_config_secrets(
    secret_filter: SecretFilter, config: Mapping[str, t.Any], keys: Iterable[str], logger_names: Iterable[str]
) -> None:
    """Mask the config's values of ``keys`` from now on: in what ``secret_filter`` redacts and in the records of
    the named loggers (the tap's own and the third-party ones that repeat URLs)."""
    secret_filter.add(*(config.get(key) for key in keys))
    install_secret_filter(secret_filter, logger_names)


def install_secret_filter(secret_filter: SecretFilter, logger_names: Iterable[str]) -> None:
    """Attach ``secret_filter`` once to each named logger (idempotent)."""
    for name in logger_names:
        logger = logging.getLogger(name)
        if secret_filter not in logger.filters:
            logger.addFilter(secret_filter)

