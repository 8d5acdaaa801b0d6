"""Error classes every tap raises, so the CLI and the retry loop treat all sources alike."""

from __future__ import annotations

import requests
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError

__all__ = ["RETRIABLE_EXCEPTIONS", "SourceAPIError", "SourceRetriableError", "TokenRefreshedError"]


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
