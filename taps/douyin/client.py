"""Douyin shop REST client for singer-sdk: signing, auth, errors, retries, paging.

Layout (MeltanoLabs style): :class:`DouyinAuthenticator` signs every HTTP send and owns
the token refresh; :func:`judge` looks the gateway's ``code``/``sub_code`` up in the
protocol's error table (retry / refresh / fatal); :class:`DouyinStream` wires them into singer-sdk's hooks
(``validate_response``, ``get_new_paginator``, ...). The retry loop is the shared
:class:`~orderlayer.taps.common.stream.ResilientStream`'s and the sliding-window paging the
shared :class:`~orderlayer.taps.common.paging.WindowedPagePaginator`.

Why signing lives in the authenticator: singer-sdk prepares a request once per page and
re-sends that prepared request on every retry, calling the authenticator before each
send. Signing there gives every try a fresh ``timestamp`` (the gateway rejects one more
than 10 minutes old) and the current ``access_token`` after a refresh.
"""

from __future__ import annotations

import abc
import logging
import typing as t
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests

from orderlayer.taps.common.envelope import Action, Verdict
from orderlayer.taps.common.errors import SourceAPIError, SourceRetriableError, describe_answer
from orderlayer.taps.common.http import Connection
from orderlayer.taps.common.paging import WindowedPagePaginator, WindowPage
from orderlayer.taps.common.ratelimit import RetryPolicy, parse_retry_after
from orderlayer.taps.common.redact import SecretFilter
from orderlayer.taps.common.refresh import NewTokens, RefreshingAuthenticator, TokenCalls
from orderlayer.taps.common.stream import ResilientStream
from orderlayer.taps.common.tokens import expiry_from
from orderlayer.taps.douyin import protocol as p
from orderlayer.taps.douyin.protocol import canonical_param_json, method_for_path, sign, signed_query

if t.TYPE_CHECKING:
    from collections.abc import Mapping

    from singer_sdk.helpers.types import Context

__all__ = [
    "DouyinAPIError",
    "DouyinAuthenticator",
    "DouyinConnection",
    "DouyinRetriableError",
    "DouyinStream",
    "Envelope",
    "WindowPage",
    "WindowedPagePaginator",
    "canonical_param_json",
    "judge",
    "sign",
]

#: One process-wide filter: records from urllib3/backoff/our loggers lose secret values.
SECRET_FILTER = SecretFilter()


# --------------------------------------------------------------------------- errors
class DouyinAPIError(SourceAPIError):
    """A failure retrying cannot fix; the message names the cause and the likely fix."""

    @property
    def log_id(self) -> str | None:
        """Douyin's name for the request id."""
        return self.request_id


class DouyinRetriableError(SourceRetriableError):
    """A transient failure (throttled, busy, 5xx); ``retry_after`` is the server's hint."""


@dataclass(frozen=True)
class Envelope:
    """The gateway's response wrapper ``{code, msg, sub_code, sub_msg, log_id, data}``."""

    code: int
    msg: str
    sub_code: str
    sub_msg: str
    log_id: str
    data: t.Any

    @property
    def request_id(self) -> str:
        return self.log_id

    @classmethod
    def from_payload(cls, payload: t.Any) -> Envelope:  # noqa: ANN401
        if not isinstance(payload, dict) or "code" not in payload:
            msg = "response is not a Douyin envelope (no 'code')"
            raise ValueError(msg)
        return cls(
            code=int(payload["code"]),
            msg=str(payload.get("msg") or ""),
            sub_code=str(payload.get("sub_code") or ""),
            sub_msg=str(payload.get("sub_msg") or ""),
            log_id=str(payload.get("log_id") or ""),
            data=payload.get("data"),
        )

    def describe(self, method: str) -> str:
        return describe_answer(
            method, self.code, code_label="code", msg=self.msg, sub_code=self.sub_code, sub_msg=self.sub_msg,
            id_label="log_id", id_value=self.log_id,
        )


def judge(envelope: Envelope) -> Verdict:
    """Fact sheet §5: what to do about a gateway answer (:data:`protocol.ERRORS`)."""
    return p.ERRORS.judge(envelope.code, sub_code=envelope.sub_code)


# --------------------------------------------------------------------------- auth
class DouyinAuthenticator(RefreshingAuthenticator[Envelope]):
    """Signs each request (query params per fact sheet §1/§2) and refreshes the token.

    Idempotent: singer-sdk applies it when preparing and again before every send; each
    application replaces the previous signature with one for the current clock/token.
    """

    platform = "Douyin"
    error_class = DouyinAPIError

    def __init__(
        self,
        calls: TokenCalls,
        *,
        base_url: str,
        app_key: str,
        app_secret: str,
        sign_method: str,
    ) -> None:
        super().__init__(calls)
        self._base_path = urlsplit(base_url).path.rstrip("/")
        self._base_url = base_url.rstrip("/")
        self._app_key = app_key
        self._app_secret = app_secret
        self._sign_method = sign_method

    def method_for_url(self, url: str) -> str:
        path = urlsplit(url).path
        if self._base_path and path.startswith(self._base_path):
            path = path[len(self._base_path) :]
        return method_for_path(path)

    def authenticate_request(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if not request.url:
            return request
        body = request.body or b""
        param_json = body.decode("utf-8") if isinstance(body, bytes) else str(body)
        self.refresh_if_due()
        scheme, netloc, path, query, fragment = urlsplit(request.url)
        kept = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k not in p.SIGNED_QUERY_PARAMS]
        signed = signed_query(
            app_key=self._app_key,
            app_secret=self._app_secret,
            method=self.method_for_url(request.url),
            param_json=param_json,
            timestamp=int(self._clock()),
            access_token=self._access_token,
            sign_method=self._sign_method,
        )
        request.url = urlunsplit((scheme, netloc, path, urlencode([*kept, *signed.items()]), fragment))
        request.headers[p.NEW_ERROR_CODE_HEADER] = "1"
        return request

    def fetch_tokens(self) -> NewTokens:
        method = "token.refresh"
        body = canonical_param_json({"grant_type": "refresh_token", "refresh_token": self._refresh_token})
        query = signed_query(
            app_key=self._app_key,
            app_secret=self._app_secret,
            method=method,
            param_json=body,
            timestamp=int(self._clock()),
            access_token=None,
            sign_method=self._sign_method,
        )
        response = self._session.post(
            self._base_url + p.TOKEN_REFRESH_PATH,
            params=query,
            data=body.encode("utf-8"),
            headers={p.NEW_ERROR_CODE_HEADER: "1", "Content-Type": "application/json;charset=UTF-8"},
            timeout=self._timeout,
        )
        if response.status_code == 429 or response.status_code >= 500:
            msg = f"{method}: HTTP {response.status_code} while refreshing the access token"
            raise DouyinRetriableError(msg, response, retry_after=parse_retry_after(response.headers))
        try:
            envelope = Envelope.from_payload(response.json())
        except ValueError:
            msg = f"{method}: HTTP {response.status_code} with a body that is not a Douyin envelope"
            raise DouyinRetriableError(msg, response) from None
        action = judge(envelope).action
        if action is Action.RETRY:
            raise DouyinRetriableError(envelope.describe(method), response, retry_after=parse_retry_after(response.headers), code=envelope.code)
        if action is not Action.OK:
            msg = (
                f"refreshing the access token failed: {envelope.describe(method)}. The refresh_token is expired "
                "(valid 14 days), already used or not issued to this app: re-authorize the shop and set new "
                "'access_token' and 'refresh_token' in the config."
            )
            raise self.answer_error(envelope, msg)
        data = envelope.data or {}
        new_access = data.get("access_token")
        if not new_access:
            msg = f"{method} succeeded but returned no access_token; re-authorize the shop"
            raise DouyinAPIError(msg, code=envelope.code, request_id=envelope.log_id)
        return NewTokens.from_answer(
            new_access, data.get("refresh_token"), access_expires_at=expiry_from(self._clock(), expires_in=data.get("expires_in"))
        )


# --------------------------------------------------------------------------- shared per tap
class DouyinConnection(Connection[DouyinAuthenticator]):
    """What all streams of one tap share: the QPS budget, the signer, the retry policy."""

    platform = "Douyin"
    default_rate = 10
    secret_filter = SECRET_FILTER
    default_timeout = 12

    @classmethod
    def authenticator_for(cls, config: Mapping[str, t.Any], session: requests.Session, logger: logging.Logger) -> DouyinAuthenticator:
        return DouyinAuthenticator(
            cls.token_calls(config, session, logger),
            base_url=config.get("base_url", p.DEFAULT_BASE_URL),
            app_key=str(config["app_key"]),
            app_secret=str(config["app_secret"]),
            sign_method=config.get("sign_method", p.SIGN_METHOD_HMAC_SHA256),
        )


def as_int(value: t.Any, name: str) -> int:  # noqa: ANN401
    """Douyin sends page/total as numbers; some proxies send strings. Accept both."""
    try:
        return int(value)
    except (TypeError, ValueError):
        msg = f"response field {name!r} is not an integer: {value!r}"
        raise DouyinRetriableError(msg) from None


# --------------------------------------------------------------------------- stream base
class DouyinStream(ResilientStream):
    """Base for Douyin endpoints: POST, signed query, canonical JSON body, envelope."""

    default_timeout = 12
    payload_as_json = False  # the body is the exact param_json bytes that were signed
    secret_filter = SECRET_FILTER

    def __init__(self, tap: t.Any) -> None:  # noqa: ANN401
        super().__init__(tap, http_method="POST")
        self._connection: DouyinConnection = tap.connection
        self.share_budget(self._connection.bucket)

    @property
    def url_base(self) -> str:
        return str(self.config.get("base_url", p.DEFAULT_BASE_URL)).rstrip("/")

    @property
    def api_method(self) -> str:
        return method_for_path(self.path or "")

    @property
    def http_headers(self) -> dict:
        return {
            p.NEW_ERROR_CODE_HEADER: "1",
            "Content-Type": "application/json;charset=UTF-8",
            "Accept": "application/json",
        }

    @property
    def authenticator(self) -> DouyinAuthenticator:
        return self._connection.authenticator

    # ---- responses
    retriable_error = DouyinRetriableError
    fatal_error = DouyinAPIError
    answer_noun = "a Douyin envelope"

    def read_answer(self, payload: t.Any) -> Envelope:  # noqa: ANN401, PLR6301
        return Envelope.from_payload(payload)

    def envelope(self, response: requests.Response) -> Envelope:
        return Envelope.from_payload(self.payload(response))

    def token_sent(self, response: requests.Response) -> str | None:  # noqa: PLR6301
        return dict(parse_qsl(urlsplit(response.request.url or "").query)).get("access_token")

    def validate_response(self, response: requests.Response) -> None:
        envelope = self.http_answer(response)
        verdict = judge(envelope)
        if verdict.action is Action.OK:
            if not isinstance(envelope.data, dict):
                msg = f"{self.api_method}: success without a data object [log_id {envelope.log_id}]"
                raise DouyinRetriableError(msg, response)
            problem = self.data_problem(envelope.data)
            if problem:
                # Inside the retry loop: a truncated or malformed page is fetched again.
                msg = f"{self.api_method}: {problem} [log_id {envelope.log_id}]"
                raise DouyinRetriableError(msg, response)
        self.act_on(response, envelope, verdict)

    # ---- retries (the loop itself is ResilientStream's)
    @property
    def retry_policy(self) -> RetryPolicy:  # type: ignore[override]
        return self._connection.retry_policy  # one policy per tap, shared by its streams

    # ---- records
    def parse_response(self, response: requests.Response) -> t.Iterable[dict]:
        envelope = self.envelope(response)
        yield from self.records_from_data(envelope.data or {})

    def data_problem(self, data: dict) -> str | None:  # noqa: ARG002, PLR6301
        """Why a successful ``data`` object cannot be used (None = fine). Per endpoint."""
        return None

    @abc.abstractmethod
    def records_from_data(self, data: dict) -> t.Iterable[dict]:
        """The records of one page, from the envelope's ``data`` object (each endpoint names its own list)."""

    def get_url_params(self, context: Context | None, next_page_token: t.Any) -> dict[str, t.Any]:  # noqa: ANN401, ARG002
        # All query parameters are signing parameters, added per send by the authenticator.
        return {}
