"""Error classes every tap raises, so the CLI and the retry loop treat all sources alike."""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

import requests
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError

__all__ = [
    "RETRIABLE_EXCEPTIONS",
    "ErrorResponse",
    "SourceAPIError",
    "SourceRetriableError",
    "TokenRefreshedError",
    "describe_answer",
]


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


@dataclass(frozen=True)
class ErrorResponse:
    """A router gateway's failure answer ``{"error_response": {<code>, <msg>, sub_code, sub_msg, request_id}}``
    (Taobao TOP, Pinduoduo). A subclass names the platform's code and message fields and how it writes the code."""

    code: int
    msg: str
    sub_code: str
    sub_msg: str
    request_id: str

    code_key: t.ClassVar[str] = "code"
    msg_key: t.ClassVar[str] = "msg"
    #: How :meth:`describe` names the code, e.g. "error code 27".
    code_label: t.ClassVar[str] = "code"

    @classmethod
    def from_payload(cls, payload: t.Any) -> t.Self | None:  # noqa: ANN401
        """The answer's ``error_response``, or None when it has none (a success); an unreadable code is -1."""
        body = payload.get("error_response") if isinstance(payload, dict) else None
        if not isinstance(body, dict):
            return None
        try:
            code = int(body.get(cls.code_key))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            code = -1
        return cls(
            code=code,
            msg=str(body.get(cls.msg_key) or ""),
            sub_code=str(body.get("sub_code") or ""),
            sub_msg=str(body.get("sub_msg") or ""),
            request_id=str(body.get("request_id") or ""),
        )

    def describe(self, method: str) -> str:
        return describe_answer(
            method, self.code, code_label=self.code_label, msg=self.msg, sub_code=self.sub_code, sub_msg=self.sub_msg,
            id_label="request_id", id_value=self.request_id,
        )
