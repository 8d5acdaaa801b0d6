"""Taobao TOP REST client for singer-sdk: signing, session renewal, the error envelope, retries.

Layout (MeltanoLabs style): :class:`TaobaoAuthenticator` signs every HTTP send and owns the session
renewal; :func:`classify` maps TOP's ``error_response`` (``code`` / ``sub_code``) to retry / renew /
fatal; :class:`TaobaoStream` wires them into singer-sdk's hooks. The retry loop is the shared
:class:`~orderlayer.taps.common.stream.ResilientStream`'s.

Wire format: POST to ``/router/rest``; the system parameters (``method``, ``app_key``, ``session``,
``timestamp``, ``format``, ``v``, ``sign_method``, ``sign``) travel in the query string, the business
parameters as a form body, and the signature covers both (fact sheet §2). Signing happens in the
authenticator because singer-sdk re-sends the same prepared request on every retry: each try gets a
fresh ``timestamp`` and the current session after a renewal.
"""

from __future__ import annotations

import enum
import logging
import time
import typing as t
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests

from orderlayer.taps.common.errors import ErrorResponse, SourceAPIError, SourceRetriableError, TokenRefreshedError
from orderlayer.taps.common.http import paced_session
from orderlayer.taps.common.ratelimit import TokenBucket, parse_retry_after
from orderlayer.taps.common.redact import SecretFilter, guard_config_secrets
from orderlayer.taps.common.refresh import NewTokens, RefreshingAuthenticator
from orderlayer.taps.common.stream import ResilientStream
from orderlayer.taps.common.tokens import TokenKeeper, expiry_from
from orderlayer.taps.taobao import protocol as p

if t.TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from singer_sdk.helpers.types import Context

__all__ = ["Action", "TaobaoAuthenticator", "TaobaoConnection", "TaobaoStream", "TopError", "classify", "fatal_hint"]

#: One process-wide filter: records from urllib3/backoff/our loggers lose secret values.
SECRET_FILTER = SecretFilter()
_FILTERED_LOGGERS = ("urllib3.connectionpool", "backoff", "tap-taobao", "tap-taobao.orders")


# --------------------------------------------------------------------------- errors
class TopError(ErrorResponse):
    """TOP's ``{"error_response": {code, msg, sub_code, sub_msg, request_id}}``."""

    code_label = "error code"


class Action(enum.Enum):
    RETRY = "retry"
    RENEW_SESSION = "renew_session"
    FATAL = "fatal"


def classify(error: TopError) -> Action:
    """Fact sheet §4: what to do about an ``error_response``."""
    if error.code in p.RETRIABLE_CODES or error.sub_code.startswith(p.SERVER_SIDE_SUB_PREFIX):
        return Action.RETRY
    if error.code in p.SESSION_REJECTED_CODES:
        return Action.RENEW_SESSION
    return Action.FATAL


def fatal_hint(error: TopError) -> str:
    """The likely fix for a fatal answer, in operator terms (config keys by name)."""
    code = error.code
    if code in (p.CODE_INVALID_SIGNATURE, p.CODE_MISSING_SIGNATURE):
        return "the request signature was rejected: check app_secret (and app_key / sign_method) in the tap config"
    if code in (p.CODE_MISSING_APP_KEY, p.CODE_INVALID_APP_KEY):
        return "the app key is unknown to the gateway: check app_key (and base_url) in the tap config"
    if code in (p.CODE_MISSING_TIMESTAMP, p.CODE_INVALID_TIMESTAMP):
        return "the gateway rejected the request timestamp: this machine's clock is off; synchronise it (NTP)"
    if code in (p.CODE_INSUFFICIENT_ISV_PERMISSIONS, p.CODE_INSUFFICIENT_PARTNER_PERMISSIONS):
        return (
            "the app lacks the permission package for this API (order read access is granted only to some app "
            "types): apply for it in the TOP console, or use an app_key that has it"
        )
    if code in (p.CODE_INSUFFICIENT_USER_PERMISSIONS, p.CODE_INSUFFICIENT_SESSION_PERMISSIONS):
        return (
            "the seller's authorisation does not cover this API: re-authorize the shop for this app and put the "
            "new session in config key 'access_token'"
        )
    if code == p.CODE_MISSING_SESSION:
        return "no session was sent: set config key 'access_token' (the seller's TOP session)"
    if code in p.SESSION_REJECTED_CODES:
        return "re-authorize the shop and set a fresh 'access_token' (and 'refresh_token') in the config"
    if code in (p.CODE_MISSING_ARGUMENTS, p.CODE_INVALID_ARGUMENTS):
        return (
            "a request parameter was rejected: check page_size (1-100), window_seconds (<= 86400), trade_types "
            "and fields in the tap config; otherwise report a tap bug"
        )
    if code in (p.CODE_MISSING_METHOD, p.CODE_INVALID_METHOD):
        return "the gateway does not know this API method: check base_url points at the TOP router (/router/rest)"
    return "the platform refused the request; see the code and sub_code above"


# --------------------------------------------------------------------------- auth
class TaobaoAuthenticator(RefreshingAuthenticator[TopError]):
    """Adds the signed system parameters to each request and renews the session once when rejected.

    Idempotent: singer-sdk applies it when preparing and again before every send; each application
    replaces the previous system parameters with ones for the current clock and session.
    """

    platform = "Taobao"
    #: TOP calls the access token the seller's "session".
    token_noun = "session"
    refresh_noun = "session renewal"

    def __init__(
        self,
        *,
        app_key: str,
        app_secret: str,
        access_token: str,
        refresh_token: str | None,
        token_url: str,
        sign_method: str,
        partner_id: str | None,
        timeout: float,
        session: requests.Session,
        logger: logging.Logger,
        clock: Callable[[], float] = time.time,
        tokens: TokenKeeper | None = None,
    ) -> None:
        super().__init__(
            access_token=access_token, refresh_token=refresh_token, session=session, timeout=timeout,
            secret_filter=SECRET_FILTER, logger=logger, clock=clock, tokens=tokens,
        )
        self._app_key = app_key
        self._app_secret = app_secret
        self._token_url = token_url
        self._sign_method = sign_method
        self._partner_id = partner_id or None

    def authenticate_request(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if not request.url:
            return request
        parts = urlsplit(request.url)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        method = query.get("method")
        if not method:
            return request  # not a router call (e.g. the OAuth endpoint)
        self.refresh_if_due()
        body = request.body or b""
        text = body.decode("utf-8") if isinstance(body, bytes) else str(body)
        business = dict(parse_qsl(text, keep_blank_values=True))
        params = p.system_params(
            method=method,
            app_key=self._app_key,
            session=self._access_token,
            timestamp=p.format_time(int(self._clock())),
            sign_method=self._sign_method,
            partner_id=self._partner_id,
        )
        params["sign"] = p.sign({**business, **params}, self._app_secret, self._sign_method)
        request.url = urlunsplit(parts._replace(query=urlencode(params)))
        return request

    def answer_error(self, answer: TopError, message: str) -> SourceAPIError:  # noqa: PLR6301
        return SourceAPIError(message, code=answer.code, sub_code=answer.sub_code, request_id=answer.request_id)

    def fetch_tokens(self) -> NewTokens:
        form = {
            "grant_type": "refresh_token",
            "refresh_token": self._refresh_token,
            "client_id": self._app_key,
            "client_secret": self._app_secret,
        }
        response = self._session.post(self._token_url, data=form, timeout=self._timeout)
        if response.status_code == 429 or response.status_code >= 500:
            msg = f"token refresh: HTTP {response.status_code} while renewing the session"
            raise SourceRetriableError(msg, response, retry_after=parse_retry_after(response.headers))
        try:
            data = response.json()
        except ValueError:
            msg = f"token refresh: HTTP {response.status_code} with a non-JSON body; check token_url"
            raise SourceRetriableError(msg, response) from None
        token = data.get("access_token") if isinstance(data, dict) else None
        if response.status_code >= 400 or not token:
            reason = data.get("error_description") or data.get("error") if isinstance(data, dict) else None
            msg = (
                f"renewing the session failed (HTTP {response.status_code}: {reason or 'no access_token returned'}). "
                "The refresh_token is expired, already used or not issued to this app: re-authorize the shop and set "
                "new 'access_token' and 'refresh_token' in the config."
            )
            raise SourceAPIError(msg)
        now = self._clock()
        return NewTokens.from_answer(
            token, data.get("refresh_token"),
            access_expires_at=expiry_from(now, expires_in=data.get("expires_in")),
            refresh_expires_at=expiry_from(now, expires_in=data.get("re_expires_in")),
        )


# --------------------------------------------------------------------------- shared per tap
@dataclass
class TaobaoConnection:
    """What all streams of one tap share: the request budget and the signer."""

    bucket: TokenBucket
    session: requests.Session
    authenticator: TaobaoAuthenticator

    @classmethod
    def from_config(cls, config: Mapping[str, t.Any], logger: logging.Logger) -> TaobaoConnection:
        guard_config_secrets(SECRET_FILTER, config, ("app_secret", "access_token", "refresh_token", "pii_salt"), _FILTERED_LOGGERS)
        tokens = TokenKeeper.from_config(
            config, platform="Taobao", identity_keys=("app_key", "shop_id"), secret_filter=SECRET_FILTER, logger=logger
        )
        bucket, session = paced_session(config, default_rate=5)
        authenticator = TaobaoAuthenticator(
            app_key=str(config["app_key"]),
            app_secret=str(config["app_secret"]),
            access_token=tokens.access_token,
            refresh_token=tokens.refresh_token,
            tokens=tokens,
            token_url=str(config.get("token_url") or p.DEFAULT_TOKEN_URL),
            sign_method=config.get("sign_method", p.SIGN_METHOD_MD5),
            partner_id=config.get("partner_id"),
            timeout=float(config.get("request_timeout", 20)),
            session=session,
            logger=logger,
        )
        return cls(bucket=bucket, session=session, authenticator=authenticator)


# --------------------------------------------------------------------------- stream base
class TaobaoStream(ResilientStream):
    """Base for TOP router calls: POST form, signed query, ``*_response`` / ``error_response`` bodies."""

    #: The TOP API method this stream calls.
    top_method: str = ""
    path = p.ROUTER_PATH
    payload_as_json = False  # business parameters go as a form body
    secret_filter = SECRET_FILTER
    source_zone = p.SOURCE_ZONE

    def __init__(self, tap: t.Any) -> None:  # noqa: ANN401
        super().__init__(tap, http_method="POST")
        self._connection: TaobaoConnection = tap.taobao_connection
        self.share_budget(self._connection.bucket)

    @property
    def url_base(self) -> str:
        return str(self.config.get("base_url", p.DEFAULT_BASE_URL)).rstrip("/")

    @property
    def api_method(self) -> str:
        return self.top_method

    @property
    def http_headers(self) -> dict:
        return {"Accept": "application/json"}

    @property
    def timeout(self) -> float:  # type: ignore[override]
        return float(self.config.get("request_timeout", 20))

    @property
    def authenticator(self) -> TaobaoAuthenticator:
        return self._connection.authenticator

    def get_url_params(self, context: Context | None, next_page_token: t.Any) -> dict[str, t.Any]:  # noqa: ANN401, ARG002
        # The authenticator completes the system parameters (and the signature) on every send.
        return {"method": self.top_method}

    # ---- responses
    def result(self, response: requests.Response) -> dict:
        """The method's ``*_response`` object (validated before records are parsed)."""
        return self.payload(response)[p.response_key(self.top_method)]

    def validate_response(self, response: requests.Response) -> None:
        method = self.top_method
        hint = parse_retry_after(response.headers)
        payload = self.http_answer(response)
        error = TopError.from_payload(payload)
        if error is None:
            body = payload.get(p.response_key(method)) if isinstance(payload, dict) else None
            if not isinstance(body, dict):
                msg = f"{method}: the answer has neither error_response nor {p.response_key(method)}; check base_url"
                raise SourceAPIError(msg)
            problem = self.data_problem(body)
            if problem:
                # Inside the retry loop: a short or malformed page is fetched again before anything is emitted.
                msg = f"{method}: {problem} [request_id {body.get('request_id', '')}]"
                raise SourceRetriableError(msg, response)
            return
        action = classify(error)
        if action is Action.RETRY:
            ban = p.ban_seconds(error.sub_msg, error.msg)
            raise SourceRetriableError(error.describe(method), response, retry_after=ban if ban is not None else hint, code=error.code)
        if action is Action.RENEW_SESSION:
            used = dict(parse_qsl(urlsplit(response.request.url or "").query)).get("session")
            self.authenticator.handle_token_rejected(used, error, method)
            msg = f"{error.describe(method)}; session renewed, retrying"
            raise TokenRefreshedError(msg, response)
        msg = f"{error.describe(method)}. {fatal_hint(error)}"
        raise SourceAPIError(msg, code=error.code, sub_code=error.sub_code, request_id=error.request_id)

    def data_problem(self, body: dict) -> str | None:  # noqa: ARG002, PLR6301
        """Why a successful ``*_response`` object cannot be used (None = fine). Per endpoint."""
        return None
