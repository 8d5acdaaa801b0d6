"""Error classes every tap raises, so the CLI and the retry loop treat all sources alike."""

from __future__ import annotations

import requests
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError

__all__ = ["RETRIABLE_EXCEPTIONS", "SourceAPIError", "SourceRetriableError", "TokenRefreshedError", "describe_answer"]


class SourceAPIError(FatalAPIError):
    """A failure retrying cannot fix; the message names the cause and the config key or fix."""

    def __init__(
        self,
        message: str,
        *,
        code: int | str | None = None,
        sub_code: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.sub_code = sub_code
        self.request_id = request_id


class SourceRetriableError(RetriableAPIError):
    """A transient failure (throttled, busy, 5xx, truncated page); ``retry_after`` is the server's hint in seconds."""

    def __init__(
        self,
        message: str,
        response: requests.Response | None = None,
        *,
        retry_after: float | None = None,
        code: int | str | None = None,
    ) -> None:
        super().__init__(message, response)
        self.retry_after = retry_after
        self.code = code


class TokenRefreshedError(RetriableAPIError):
    """The access token (or session) was renewed after a rejection: retry at once, without backoff."""


#: Exceptions singer-sdk's request loop treats as transient.
RETRIABLE_EXCEPTIONS: tuple[type[BaseException], ...] = (
    ConnectionResetError,
    RetriableAPIError,
    requests.exceptions.Timeout,
    requests.exceptions.ConnectionError,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


def describe_answer(
    method: str,
    code: object,
    *,
    code_label: str = "code",
    msg: str = "",
    sub_code: str = "",
    sub_msg: str = "",
    id_label: str = "request_id",
    id_value: str = "",
) -> str:
    """One line naming a platform's error answer the same way for every tap, e.g.
    ``order.searchList answered code 60000 (访问太频繁) sub_code isv.request-limit - too fast [log_id 2026…]``."""
    parts = [f"{method} answered {code_label} {code}"]
    if msg:
        parts.append(f"({msg})")
    if sub_code:
        parts.append(f"sub_code {sub_code}")
    if sub_msg:
        parts.append(f"- {sub_msg}")
    if id_value:
        parts.append(f"[{id_label} {id_value}]")
    return " ".join(parts)
