"""JD routerjson client for singer-sdk: signing, token refresh, the response envelope, error classification.

Layout (MeltanoLabs style): :class:`JdAuthenticator` signs every HTTP send and owns the token refresh;
:meth:`JdStream.errors` (the protocol's error table ahead of the configured retriable and token codes) maps a
gateway code to retry / refresh / fatal; :class:`JdStream` turns a routerjson answer
into records or the right exception (``validate_response``). Retry pacing, give-up messages and redaction come
from :class:`~orderlayer.taps.common.stream.ResilientStream`.

Why signing lives in the authenticator: singer-sdk prepares a request once per page and re-sends that prepared
request on every retry, applying the authenticator before each send. Signing there gives every try a fresh
``timestamp`` (the gateway allows 6 minutes of skew) and the current ``access_token`` after a refresh.

All parameters travel in the POST form body, never in the URL, so no token or signature reaches an access
log or a urllib3 debug line.
"""

from __future__ import annotations

import abc
import decimal
import functools
import json
import logging
import typing as t
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

import requests

from orderlayer.taps.common.envelope import Action, ErrorTable
from orderlayer.taps.common.errors import SourceAPIError, SourceRetriableError
from orderlayer.taps.common.http import Connection
from orderlayer.taps.common.ratelimit import parse_retry_after
from orderlayer.taps.common.redact import SecretFilter
from orderlayer.taps.common.refresh import NewTokens, RefreshingAuthenticator, TokenCalls
from orderlayer.taps.common.stream import ResilientStream
from orderlayer.taps.common.tokens import expiry_from
from orderlayer.taps.jd import protocol as p

if t.TYPE_CHECKING:
    from collections.abc import Mapping

    from singer_sdk.helpers.types import Context

__all__ = ["GatewayError", "JdAuthenticator", "JdConnection", "JdStream", "decode_json"]

#: One filter for the tap: urllib3/backoff/tap log records (the OAuth refresh is a GET with secrets in its query)
#: and error messages lose every secret value.
SECRET_FILTER = SecretFilter()


def decode_json(content: bytes) -> t.Any:  # noqa: ANN401
    """JSON with exact numbers: ints are exact in Python; decimals become ``Decimal``, never float."""
    return json.loads(content, parse_float=decimal.Decimal)


@dataclass(frozen=True)
class GatewayError:
    """A failure answer: ``error_response`` (gateway) or a non-zero ``code`` inside the method's envelope."""

    code: str
    zh_desc: str = ""
    en_desc: str = ""

    @classmethod
    def from_payload(cls, payload: Mapping[str, t.Any]) -> GatewayError:
        return cls(
            code=str(payload.get("code", "")).strip(),
            zh_desc=str(payload.get("zh_desc") or ""),
            en_desc=str(payload.get("en_desc") or ""),
        )

    def describe(self, method: str) -> str:
        text = f"{method} answered code {self.code}"
        desc = " / ".join(d for d in (self.zh_desc, self.en_desc) if d)
        return f"{text} ({desc})" if desc else text


def form_params(body: str | bytes | None) -> dict[str, str]:
    """The form parameters of a prepared request body."""
    if not body:
        return {}
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    return dict(parse_qsl(text, keep_blank_values=True))


# --------------------------------------------------------------------------- auth
class JdAuthenticator(RefreshingAuthenticator[GatewayError]):
    """Signs each request's form body (fact sheet §2) and refreshes the access token through JD OAuth.

    Idempotent: singer-sdk applies it when preparing and again before every send; each application replaces
    the previous system parameters and signature with ones for the current clock and token.
    """

    platform = "JD"
    rejected_again_cause = "the token does not belong to this app_key or shop"

    def __init__(
        self,
        calls: TokenCalls,
        *,
        app_key: str,
        app_secret: str,
        oauth_url: str,
        timestamp_format: str,
    ) -> None:
        super().__init__(calls)
        self._app_key = app_key
        self._app_secret = app_secret
        self._oauth_url = oauth_url
        self._timestamp_format = timestamp_format

    def authenticate_request(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        business = form_params(request.body)
        if not business.get("method"):
            return request  # not a routerjson call
        self.refresh_if_due()
        signed = p.signed_params(
            business,
            app_key=self._app_key,
            app_secret=self._app_secret,
            access_token=self._access_token,
            timestamp=p.format_timestamp(self._clock(), self._timestamp_format),
        )
        body = urlencode(signed).encode("utf-8")
        request.body = body
        request.headers["Content-Length"] = str(len(body))
        request.headers["Content-Type"] = "application/x-www-form-urlencoded;charset=UTF-8"
        return request

    def fetch_tokens(self) -> NewTokens:
        query = {
            "app_key": self._app_key,
            "app_secret": self._app_secret,
            "grant_type": "refresh_token",
            "refresh_token": self._refresh_token,
        }
        response = self._session.get(self._oauth_url, params=query, timeout=self._timeout)
        if response.status_code == 429 or response.status_code >= 500:
            msg = f"oauth2/refresh_token: HTTP {response.status_code} while refreshing the access token"
            raise SourceRetriableError(msg, response, retry_after=parse_retry_after(response.headers))
        try:
            payload = decode_json(response.content)
        except ValueError:
            msg = f"oauth2/refresh_token: HTTP {response.status_code} with a non-JSON body; check oauth_url"
            raise SourceAPIError(msg) from None
        code = payload.get("code") if isinstance(payload, dict) else None
        new_access = payload.get("access_token") if isinstance(payload, dict) else None
        if (code not in (None, 0, "0")) or not new_access:
            detail = payload.get("msg") if isinstance(payload, dict) else None
            msg = (
                f"refreshing the access token failed (code {code}{': ' + str(detail) if detail else ''}). The "
                "refresh_token is expired, already used or not issued to this app_key: re-authorize the shop and "
                "set new 'access_token' and 'refresh_token' in the config."
            )
            raise SourceAPIError(msg, code=None if code is None else str(code))
        return NewTokens.from_answer(
            new_access, payload.get("refresh_token"),
            access_expires_at=expiry_from(self._clock(), expires_in=payload.get("expires_in")),
        )


# --------------------------------------------------------------------------- shared per tap
class JdConnection(Connection[JdAuthenticator]):
    """What all streams of one tap share: the request budget, the session, the signer."""

    platform = "JD"
    default_rate = 5
    secret_filter = SECRET_FILTER
    default_timeout = 15

    @classmethod
    def authenticator_for(cls, config: Mapping[str, t.Any], session: requests.Session, logger: logging.Logger) -> JdAuthenticator:
        return JdAuthenticator(
            cls.token_calls(config, session, logger),
            app_key=str(config["app_key"]),
            app_secret=str(config["app_secret"]),
            oauth_url=str(config.get("oauth_url") or p.DEFAULT_OAUTH_URL),
            timestamp_format=str(config.get("timestamp_format") or p.TIMESTAMP_PLAIN),
        )


# --------------------------------------------------------------------------- stream base
class JdStream(ResilientStream):
    """Base for routerjson methods: POST form, signed by the authenticator, ``*_responce`` envelope."""

    default_timeout = 15
    http_method = "POST"
    secret_filter = SECRET_FILTER
    payload_as_json = False  # form-encoded: method + 360buy_param_json (+ system params added per send)
    path = ""  # routerjson dispatches on the ``method`` parameter, not the path
    #: Name of the result object inside ``<method>_responce``.
    result_key: str = ""
    #: The config keys to check when the method answers ``success: false``.
    business_failure_hint: str = (
        "check window_seconds (<= 28 days), page_size (<= 100), order_states and optional_fields in the tap config"
    )

    def __init__(self, tap: t.Any) -> None:  # noqa: ANN401
        super().__init__(tap)
        self._connection: JdConnection = tap.connection
        self.share_budget(self._connection.bucket)

    @property
    def url_base(self) -> str:
        return str(self.config.get("base_url") or p.DEFAULT_BASE_URL)

    @property
    def http_headers(self) -> dict:
        return {"Accept": "application/json"}

    @property
    def authenticator(self) -> JdAuthenticator:
        return self._connection.authenticator

    @property
    def retriable_codes(self) -> tuple[str, ...]:
        return tuple(str(c) for c in self.config.get("retriable_error_codes") or p.DEFAULT_RETRIABLE_CODES)

    @property
    def token_codes(self) -> tuple[str, ...]:
        return tuple(str(c) for c in self.config.get("token_error_codes") or p.DEFAULT_TOKEN_CODES)

    @functools.cached_property
    def errors(self) -> ErrorTable:
        """The protocol's table behind the configured token codes (checked first) and retriable codes."""
        return p.ERRORS.first(Action.RETRY, self.retriable_codes).first(Action.REFRESH_TOKEN, self.token_codes)

    # ---- responses
    def token_sent(self, response: requests.Response) -> str | None:  # noqa: PLR6301
        return form_params(response.request.body).get("access_token") if response.request is not None else None

    def _gateway_failure(self, response: requests.Response, error: GatewayError) -> None:
        """Raise what a failure answer calls for (the table has no OK code: it always raises)."""
        method = self.api_method
        self.act_on(response, error, self.errors.judge(error.code, method=method, optional_switch=p.OPTIONAL_LISTS.get(method, "")))

    def validate_response(self, response: requests.Response) -> None:
        method = self.api_method
        hint = parse_retry_after(response.headers)
        payload = self.http_answer(response)
        if not isinstance(payload, dict):
            msg = f"{method}: the answer is not a JSON object"
            raise SourceRetriableError(msg, response)
        if isinstance(payload.get("error_response"), dict):
            self._gateway_failure(response, GatewayError.from_payload(payload["error_response"]))
        envelope = payload.get(p.response_key(method))
        if not isinstance(envelope, dict):
            msg = f"{method}: the answer has no '{p.response_key(method)}' object; check base_url and order_api"
            raise SourceAPIError(msg)
        code = str(envelope.get("code", p.CODE_OK)).strip()
        if code != p.CODE_OK:
            self._gateway_failure(response, GatewayError.from_payload(envelope))
        result = envelope.get(self.result_key)
        if not isinstance(result, dict):
            msg = f"{method}: success without a '{self.result_key}' object"
            raise SourceRetriableError(msg, response)
        api_result = self.api_result_of(result)
        if isinstance(api_result, dict) and api_result.get("success") is False:
            self._business_failure(response, api_result, hint)
        problem = self.result_problem(result, form_params(response.request.body) if response.request is not None else {})
        if problem:
            # Inside the retry loop: a truncated or malformed page is fetched again.
            msg = f"{method}: {problem}"
            raise SourceRetriableError(msg, response)

    def _business_failure(self, response: requests.Response, api_result: Mapping[str, t.Any], hint: float | None) -> t.NoReturn:
        number = str(api_result.get("numberCode") or "").strip()
        detail = " / ".join(str(api_result[k]) for k in ("chineseErrCode", "englishErrCode") if api_result.get(k))
        text = f"{self.api_method} failed: {detail or 'apiResult.success is false'}"
        if number and number in self.retriable_codes:
            raise SourceRetriableError(text, response, retry_after=hint, code=number)
        msg = f"{text}. The platform rejected the query: {self.business_failure_hint}"
        raise SourceAPIError(msg, code=number or None)

    def parse_response(self, response: requests.Response) -> t.Iterable[dict]:
        envelope = self.payload(response)[p.response_key(self.api_method)]
        yield from self.records_from_result(envelope[self.result_key])

    def result_problem(self, result: dict, sent: Mapping[str, str]) -> str | None:  # noqa: ARG002, PLR6301
        """Why a successful result cannot be used (None = fine). Per method."""
        return None

    def api_result_of(self, result: dict) -> t.Any:  # noqa: ANN401, PLR6301
        """The method's business status object (``success``, error texts) inside the result. Per method."""
        return result.get("apiResult")

    @abc.abstractmethod
    def records_from_result(self, result: dict) -> t.Iterable[dict]:
        """The records of one page, from the method's result object."""

    def get_url_params(self, context: Context | None, next_page_token: t.Any) -> dict[str, t.Any]:  # noqa: ANN401, ARG002
        return {}  # everything travels in the signed form body
