"""`ResilientStream`: singer-sdk's REST stream with the retry, logging and sync-range rules every tap shares.

A channel's client subclasses it and implements ``validate_response`` plus its paging. A JSON client starts
``validate_response`` with :meth:`ResilientStream.http_answer`, the HTTP-level half every JSON channel shares,
judges the answer with its platform's :class:`~orderlayer.taps.common.envelope.ErrorTable` and hands the verdict
to :meth:`ResilientStream.act_on`, which raises :class:`SourceRetriableError`, :class:`TokenRefreshedError`
(after :meth:`ResilientStream.renew_rejected_token`) or :class:`SourceAPIError` the same way for every tap.
What lives here is what must not differ between taps: a server's retry hint is honoured (and a hint above the
cap fails fast instead of sleeping for an hour), a refreshed token is retried at once, nothing secret reaches a
log line or an error message, an answer's numbers are read exactly, and a sync range is computed from the
bookmark the same way everywhere.
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import json
import time
import typing as t
from zoneinfo import ZoneInfo

import backoff
import requests
from singer_sdk import RESTStream
from singer_sdk.exceptions import FatalAPIError
from singer_sdk.helpers.conform import TypeConformanceLevel

from orderlayer.taps.common.envelope import Action, CodeAnswer, ErrorTable, answer_error_fields
from orderlayer.taps.common.errors import RETRIABLE_EXCEPTIONS, SourceAPIError, SourceRetriableError, TokenRefreshedError
from orderlayer.taps.common.http import mount_rate_limiter
from orderlayer.taps.common.ratelimit import RetryHintTooLongError, RetryPolicy, backoff_wait_generator, parse_retry_after
from orderlayer.taps.common.redact import SecretFilter, install_secret_filter
from orderlayer.taps.common.timeutil import parse_aware_datetime, to_epoch_seconds

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from singer_sdk.helpers.types import Context

    from orderlayer.taps.common.envelope import Answer, Verdict
    from orderlayer.taps.common.http import Connection
    from orderlayer.taps.common.ratelimit import TokenBucket

__all__ = ["CallStream", "DeferredAuthStream", "ResilientStream", "bookmark_to_epoch", "exact_json"]

_NAIVE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")


def bookmark_to_epoch(value: t.Any, *, zone: str, key: str = "bookmark") -> int:  # noqa: ANN401
    """Epoch seconds of a bookmark or config time: an epoch number, ISO-8601 with offset, or a naive
    ``yyyy-MM-dd HH:mm:ss`` string in the platform's ``zone`` (the form several Chinese platforms use)."""
    if isinstance(value, bool):
        msg = f"{key} must be a time, got {value!r}"
        raise ValueError(msg)
    if isinstance(value, (int, float)):
        return int(value)
    if isinstance(value, dt.datetime):
        return to_epoch_seconds(parse_aware_datetime(value, key=key))
    text = str(value).strip()
    if text.lstrip("-").isdigit():
        number = int(text)
        return number // 1000 if abs(number) >= 10**11 else number  # epoch milliseconds -> seconds
    for fmt in _NAIVE_FORMATS:
        try:
            naive = dt.datetime.strptime(text, fmt)  # noqa: DTZ007 - the platform zone is attached next
        except ValueError:
            continue
        return to_epoch_seconds(naive.replace(tzinfo=ZoneInfo(zone)))
    return to_epoch_seconds(parse_aware_datetime(text, key=key))


def exact_json(response: requests.Response) -> t.Any:  # noqa: ANN401
    """The body's JSON, parsed once per response: integers stay exact (ids beyond 2^53) and every other number
    becomes the :class:`~decimal.Decimal` written, never a float (amounts digit for digit)."""
    cached = getattr(response, "_orderlayer_payload", None)
    if cached is None:
        cached = json.loads(response.content, parse_float=decimal.Decimal)
        response._orderlayer_payload = cached  # type: ignore[attr-defined]
    return cached


class ResilientStream(RESTStream[t.Any]):
    """Base for every orderlayer tap stream (see module docstring)."""

    # Emit records exactly as received: singer-sdk's default conformance would drop fields the schema does
    # not declare and coerce values (architecture principle 1: land everything, type downstream).
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE
    #: Filter whose secrets are masked in log lines and error messages; taps register their secrets on it.
    secret_filter: SecretFilter = SecretFilter()
    #: Zone of naive platform timestamps (bookmarks in ``yyyy-MM-dd HH:mm:ss``).
    source_zone: str = "Asia/Shanghai"

    # ---- names
    @property
    def api_method(self) -> str:
        """The platform's name for the call, used in log lines and errors."""
        return self.path or self.name

    def redact(self, text: str) -> str:
        return self.secret_filter.redact(text)

    def redact_exc(self, exc: BaseException) -> str:
        """Text of an exception with secrets removed (requests errors embed the full URL)."""
        return self.redact(f"{type(exc).__name__}: {exc}")

    def response_error_message(self, response: requests.Response) -> str:
        # The SDK's default embeds the URL and body; a signed URL carries tokens.
        return f"{self.api_method}: HTTP {response.status_code} {response.reason}"

    #: Seconds per HTTP request when the config sets no ``request_timeout`` (the tap schema's default).
    default_timeout: t.ClassVar[float] = 30.0

    @property
    def timeout(self) -> float:  # type: ignore[override]
        return float(self.config.get("request_timeout", self.default_timeout))

    # ---- connection
    def share_budget(self, bucket: TokenBucket, *, filtered_loggers: Iterable[str] = ()) -> None:
        """Join the tap's connection: every send of this stream takes from the app's shared request budget, and
        this stream's log records (and those of ``filtered_loggers``) lose the secrets :attr:`secret_filter` knows."""
        mount_rate_limiter(self.requests_session, bucket)
        install_secret_filter(self.secret_filter, (*filtered_loggers, self.logger.name))

    # ---- answers
    #: The error classes :meth:`http_answer` raises (a platform with its own subclasses names them).
    retriable_error: type[SourceRetriableError] = SourceRetriableError
    fatal_error: type[SourceAPIError] = SourceAPIError
    #: What a readable answer is, in the retriable error for a 2xx-4xx body that is not one ("a body that is not …").
    answer_noun: str = "complete JSON"

    def payload(self, response: requests.Response) -> t.Any:  # noqa: ANN401, PLR6301
        """The body's JSON (:func:`exact_json`)."""
        return exact_json(response)

    def read_answer(self, payload: t.Any) -> t.Any:  # noqa: ANN401, PLR6301
        """The platform's answer object from the parsed body (the body itself by default); ValueError when the body
        is JSON but not an answer (:meth:`http_answer` then treats it like a body that is not JSON)."""
        return payload

    def http_answer(self, response: requests.Response) -> t.Any:  # noqa: ANN401
        """The start of every JSON channel's ``validate_response``: the answer (:meth:`read_answer`), or the error
        for what the HTTP layer already says.

        HTTP 429 or 5xx is retried, with the server's ``Retry-After`` hint. A body that cannot be read is fatal on
        a 4xx (nothing platform-shaped answered: the URL is wrong) and retried otherwise (a page cut short in
        transit). The platform's envelope, a 4xx with a JSON body included, is the caller's to judge.
        """
        method, status = self.api_method, response.status_code
        if status == 429 or status >= 500:
            msg = f"{method}: HTTP {status} {response.reason}"
            raise self.retriable_error(msg, response, retry_after=parse_retry_after(response.headers), code=status)
        try:
            return self.read_answer(self.payload(response))
        except ValueError:
            if status >= 400:
                msg = f"{method}: HTTP {status} {response.reason} with a non-JSON body; check base_url"
                raise self.fatal_error(msg, code=status) from None
            msg = f"{method}: HTTP {status} with a body that is not {self.answer_noun}"
            raise self.retriable_error(msg, response) from None

    #: What follows an answer's description once a rejected token was renewed.
    token_renewed_note: str = "access token refreshed, retrying"

    def token_sent(self, response: requests.Response) -> str | None:  # noqa: ARG002, PLR6301
        """The token the answered request carried (where it travels is the platform's); None when unknown."""
        return None

    def renew_rejected_token(self, rejected: str | None, answer: Answer, method: str) -> None:
        """Renew the token the platform rejected (or fail clearly when renewing cannot help)."""
        self.authenticator.handle_token_rejected(rejected, answer, method)

    def act_on(
        self, response: requests.Response, answer: Answer, verdict: Verdict, *, retry_after: float | None = None
    ) -> None:
        """Raise what ``verdict`` calls for about ``answer``; an OK verdict returns. A retry waits ``retry_after``
        (default: the response's ``Retry-After``)."""
        method = self.api_method
        if verdict.action is Action.OK:
            return
        described = answer.describe(method)
        if verdict.action is Action.RETRY:
            hint = parse_retry_after(response.headers) if retry_after is None else retry_after
            raise self.retriable_error(described, response, retry_after=hint, code=answer.code)
        if verdict.action is Action.REFRESH_TOKEN:
            self.renew_rejected_token(self.token_sent(response), answer, method)
            msg = f"{described}; {self.token_renewed_note}"
            raise TokenRefreshedError(msg, response)
        msg = f"{described}. {verdict.hint}"
        raise self.fatal_error(msg, **answer_error_fields(answer))

    # ---- retries
    @functools.cached_property
    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy.from_config(self.config)

    def backoff_max_tries(self) -> int:
        return self.retry_policy.max_tries

    def backoff_wait_generator(self) -> t.Generator[float, None, None]:  # type: ignore[override]
        return backoff_wait_generator(  # type: ignore[return-value]
            self.retry_policy,
            hint=lambda exc: getattr(exc, "retry_after", None),
            immediate=lambda exc: isinstance(exc, TokenRefreshedError),
        )

    def backoff_jitter(self, value: float) -> float:
        return value  # the policy already jitters, and a server hint must not be shortened

    def backoff_handler(self, details: t.Mapping[str, t.Any]) -> None:
        exc = details.get("exception")
        self.logger.warning(
            "Retrying %s in %.2f s (try %d of %d failed): %s",
            self.api_method,
            details.get("wait") or 0.0,
            details.get("tries") or 0,
            self.backoff_max_tries(),
            self.redact_exc(exc) if exc is not None else "unknown error",
        )

    def request_decorator(self, func: t.Callable) -> t.Callable:
        """singer-sdk's retry loop with our logging and a clear give-up message.

        ``backoff``'s own logger is not used: its messages include exception texts with signed URLs.
        """
        retrying = backoff.on_exception(
            self.backoff_wait_generator,
            RETRIABLE_EXCEPTIONS,
            max_tries=self.backoff_max_tries,
            on_backoff=self.backoff_handler,
            jitter=self.backoff_jitter,
            logger=None,
        )(func)

        @functools.wraps(func)
        def call(*args: t.Any, **kwargs: t.Any) -> t.Any:  # noqa: ANN401
            try:
                return retrying(*args, **kwargs)
            except RetryHintTooLongError as exc:
                msg = f"{self.api_method}: {exc}"
                raise SourceAPIError(msg) from None
            except FatalAPIError:
                raise
            except RETRIABLE_EXCEPTIONS as exc:
                msg = (
                    f"{self.api_method} still failing after {self.backoff_max_tries()} tries: {self.redact_exc(exc)}. "
                    "The platform is throttling or unavailable; run the sync again later (it resumes from the "
                    "last bookmark) or lower max_requests_per_second."
                )
                raise SourceAPIError(msg, code=getattr(exc, "code", None)) from None

        return call

    # ---- sync range
    def incremental_bounds(self, context: Context | None) -> tuple[int, int]:
        """``[start, end]`` in epoch seconds: bookmark (or ``start_date``) to ``end_date`` (or now - safety lag)."""
        value = self.get_starting_replication_key_value(context)
        key = "bookmark"
        if value is None:
            value, key = self.config.get("start_date"), "start_date"
        if value is None:
            msg = "config key 'start_date' is required for the first sync (ISO-8601 with offset)"
            raise SourceAPIError(msg)
        start = bookmark_to_epoch(value, zone=self.source_zone, key=key)
        if self.config.get("end_date"):
            end = bookmark_to_epoch(self.config["end_date"], zone=self.source_zone, key="end_date")
        else:
            # Orders updated in the last moments may still be settling on the platform.
            end = int(time.time()) - int(self.config.get("safety_lag_seconds", 60))
        return start, end


class DeferredAuthStream(ResilientStream):
    """For authenticators that call the server themselves (an OAuth token fetch, a session login): the ERP taps."""

    #: ERP calls (large pages on a customer's server) get a minute.
    default_timeout = 60

    @property
    def url_base(self) -> str:
        # Customer-hosted: no default host, base_url is required.
        return str(self.config["base_url"]).rstrip("/")

    def build_prepared_request(self, *args: t.Any, **kwargs: t.Any) -> requests.PreparedRequest:  # noqa: ANN401
        """Prepare without authenticating: singer-sdk authenticates again in ``_request``, inside the retry loop,
        so a token fetch or login that fails transiently is retried instead of ending the sync."""
        request = requests.Request(*args, **kwargs)
        request.headers.setdefault("User-Agent", self.user_agent)
        self.requests_session.auth = None
        return self.requests_session.prepare_request(request)


class CallStream(ResilientStream):
    """For platforms whose records each need several calls (Ele.me, Meituan): :meth:`send_call` sends one signed
    request through singer-sdk's retry loop, and the stream assembles records itself (no paginator, no
    ``parse_response``). The tap's connection holds the request budget and the signer. The answer is a code:
    :attr:`errors` (the platform's table) judges it, with the codes configured under ``retriable_error_codes``
    retried first."""

    #: The platform's error table and the codes it retries when the config names none.
    errors: t.ClassVar[ErrorTable]
    default_retriable_codes: t.ClassVar[tuple[int, ...]] = ()
    #: How an answer names its code, e.g. "errno".
    code_label: t.ClassVar[str] = "code"

    def __init__(self, tap: t.Any) -> None:  # noqa: ANN401
        super().__init__(tap)
        self._connection: Connection[t.Any] = tap.connection
        self.share_budget(self._connection.bucket)
        self._method = self.path or self.name
        self._send: Callable[..., requests.Response] | None = None
        #: Calls made per method, for the sync summary.
        self.calls: dict[str, int] = {}

    @property
    def api_method(self) -> str:
        return self._method

    @property
    def authenticator(self) -> t.Any:  # noqa: ANN401
        return self._connection.authenticator

    @functools.cached_property
    def error_table(self) -> ErrorTable:
        configured = self.config.get("retriable_error_codes")
        codes = self.default_retriable_codes if configured is None else configured
        return self.errors.first(Action.RETRY, (int(c) for c in codes))

    def send_call(self, name: str, context: Context | None, **request: t.Any) -> requests.Response:  # noqa: ANN401
        """Send ``request`` (``build_prepared_request`` arguments) as the platform's call ``name``, retried per policy."""
        self._method = name
        self.calls[name] = self.calls.get(name, 0) + 1
        prepared = self.build_prepared_request(headers=self.http_headers, **request)
        if self._send is None:
            self._send = self.request_decorator(self._request)
        return self._send(prepared, context)

    def judge_code(self, response: requests.Response, code: int | None, text: str) -> None:
        """Raise what a failure ``code`` calls for (retry or fatal with the table's hint)."""
        answer = CodeAnswer(code, text, self.code_label)
        verdict = self.error_table.judge(code)
        self.act_on(response, answer, verdict)

    def get_new_paginator(self) -> None:
        return None

    def parse_response(self, response: requests.Response) -> t.Iterable[dict]:  # noqa: ARG002, PLR6301
        # Records are assembled in get_records from several calls.
        return iter(())
