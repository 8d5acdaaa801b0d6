"""Pinduoduo REST client for singer-sdk: signing, token refresh, platform clock, error envelope.

Layout (MeltanoLabs style): :class:`PinduoduoAuthenticator` signs every HTTP send and owns the token
refresh; :func:`judge` looks an ``error_response`` up in the protocol's error table (retry / refresh / fatal); :class:`PinduoduoConnection`
is what all streams of one tap run share (request budget, signer, the platform clock);
:class:`PinduoduoStream` wires them into :class:`~orderlayer.taps.common.stream.ResilientStream`.

Why signing lives in the authenticator: singer-sdk prepares a request once per page and re-sends that
prepared request on every retry, calling the authenticator before each send. Signing there gives every
try a fresh ``timestamp`` (the gateway rejects one more than 10 minutes off) and the current
``access_token`` after a refresh.
"""

from __future__ import annotations

import dataclasses
import logging
import time
import typing as t
from dataclasses import dataclass

import requests

from orderlayer.taps.common.envelope import Action, Verdict
from orderlayer.taps.common.errors import ErrorResponse, SourceAPIError, SourceRetriableError
from orderlayer.taps.common.http import Connection
from orderlayer.taps.common.ratelimit import RetryPolicy, parse_retry_after
from orderlayer.taps.common.redact import SecretFilter
from orderlayer.taps.common.refresh import NewTokens, RefreshingAuthenticator, TokenCalls
from orderlayer.taps.common.stream import ResilientStream, bookmark_to_epoch
from orderlayer.taps.common.tokens import expiry_from
from orderlayer.taps.pinduoduo import protocol as p

if t.TYPE_CHECKING:
    from collections.abc import Mapping

#: One filter for this tap: urllib3/backoff/tap log records lose every secret value.
SECRET_FILTER = SecretFilter()


# --------------------------------------------------------------------------- errors
class PddError(ErrorResponse):
    """The gateway's ``{"error_response": {error_code, error_msg, sub_code, sub_msg, request_id}}``."""

    code_key = "error_code"
    msg_key = "error_msg"
    code_label = "error_code"


def judge(error: PddError) -> Verdict:
    """Fact sheet §4: what to do about an ``error_response`` (:data:`protocol.ERRORS`)."""
    return p.ERRORS.judge(error.code, sub_code=error.sub_code, text=f"{error.msg} {error.sub_msg}")


def parse_platform_time(value: t.Any) -> int:  # noqa: ANN401
    """``pdd.time.get``'s ``time``: its format is unconfirmed, so epoch s/ms, naive Beijing text and ISO are read."""
    return bookmark_to_epoch(value, zone="Asia/Shanghai", key="pdd.time.get time")


# --------------------------------------------------------------------------- auth
class PinduoduoAuthenticator(RefreshingAuthenticator[PddError]):
    """Signs each request body (fact sheet §1/§2) and refreshes the access token.

    Idempotent: it is applied before every send; each application replaces the common parameters and the
    signature with ones for the current clock and token. The business parameters are left exactly as given.
    """

    platform = "Pinduoduo"
    rejected_again_cause = "the shop's authorisation of the app has ended (refreshing does not extend it)"

    def __init__(
        self,
        calls: TokenCalls,
        *,
        router_url: str,
        client_id: str,
        client_secret: str,
        shop_id: str,
    ) -> None:
        super().__init__(calls)
        self.router_url = router_url
        self._client_id = client_id
        self._client_secret = client_secret
        self._shop_id = shop_id
        #: Tokens obtained by a refresh that have not yet been accepted by the gateway.
        self._unproven: set[str] = set()

    def signed_body(self, business: Mapping[str, t.Any], method: str) -> bytes:
        token = None if method in p.TOKENLESS_METHODS else self._access_token
        params = p.signed_params(
            business,
            method=method,
            client_id=self._client_id,
            client_secret=self._client_secret,
            timestamp=int(self._clock()),
            access_token=token,
        )
        return p.encode_body(params)

    def authenticate_request(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        raw = request.body or b"{}"
        params = p.parse_json(raw)
        business = {k: v for k, v in params.items() if k not in p.COMMON_PARAMS}
        if str(params["type"]) not in p.TOKENLESS_METHODS:
            self.refresh_if_due()
        body = self.signed_body(business, str(params["type"]))
        request.body = body
        request.headers["Content-Length"] = str(len(body))
        request.headers["Content-Type"] = "application/json;charset=UTF-8"
        return request

    def confirm(self, token: str | None) -> None:
        """The gateway accepted ``token``: a later rejection of it may be refreshed again."""
        if token and token in self._unproven:
            with self._lock:
                self._unproven.discard(token)

    def rejected_again(self) -> str | None:
        """Pinduoduo's rule (no cooldown): a token a refresh returned, rejected before any call succeeded with it,
        means the shop's authorisation itself has ended (a refresh does not extend it; error 10019 either way)."""
        return "right after a successful token refresh" if self._access_token in self._unproven else None

    def fetch_tokens(self) -> NewTokens:
        data = self.call(p.TOKEN_REFRESH, {"refresh_token": self._refresh_token})
        access = str(data.get("access_token") or "")
        if not access:
            msg = f"{p.TOKEN_REFRESH} returned no access_token; re-authorise the shop and update the tap config"
            raise SourceAPIError(msg)
        owner = data.get("owner_id")
        if owner not in (None, "") and str(owner) != self._shop_id:
            msg = (
                f"the refreshed token belongs to shop {owner}, but config key 'shop_id' is {self._shop_id}: "
                "refresh_token was issued for another shop; fix shop_id or the tokens"
            )
            raise SourceAPIError(msg)
        self._unproven.add(access)
        now = self._clock()
        return NewTokens.from_answer(
            access, data.get("refresh_token"),
            access_expires_at=expiry_from(now, expires_in=data.get("expires_in"), expires_at=data.get("expires_at")),
            refresh_expires_at=expiry_from(
                now, expires_in=data.get("refresh_token_expires_in"), expires_at=data.get("refresh_token_expires_at")
            ),
        )

    def call(self, method: str, business: Mapping[str, t.Any]) -> dict:
        """One signed tool call outside the stream's retry loop (token refresh, platform clock)."""
        response = self._session.post(
            self.router_url,
            data=self.signed_body(business, method),
            headers={"Content-Type": "application/json;charset=UTF-8", "Accept": "application/json"},
            timeout=self._timeout,
        )
        try:
            payload = p.parse_json(response.content)
        except ValueError:
            msg = f"{method}: HTTP {response.status_code} {response.reason} with a body that is not JSON"
            if response.status_code == 429 or response.status_code >= 500 or response.status_code < 400:
                raise SourceRetriableError(msg, response, retry_after=parse_retry_after(response.headers)) from None
            raise SourceAPIError(f"{msg}; check base_url (the router URL, e.g. {p.DEFAULT_BASE_URL})") from None
        error = PddError.from_payload(payload)
        if error is not None:
            verdict = judge(error)
            if verdict.action is Action.RETRY:
                raise SourceRetriableError(error.describe(method), response, code=error.code)
            msg = f"{error.describe(method)}. {verdict.hint}"
            if method == p.TOKEN_REFRESH:
                msg = (
                    f"{error.describe(method)}. The refresh_token was rejected (expired, revoked or already used): "
                    "re-authorise the shop and update access_token and refresh_token in the tap config"
                )
            raise SourceAPIError(msg, code=error.code, sub_code=error.sub_code, request_id=error.request_id)
        body = payload.get(p.RESPONSE_KEYS.get(method, "")) if isinstance(payload, dict) else None
        if not isinstance(body, dict):
            msg = f"{method}: HTTP {response.status_code} without a {p.RESPONSE_KEYS.get(method)!r} object"
            raise SourceRetriableError(msg, response)
        return body


# --------------------------------------------------------------------------- shared per tap
@dataclass
class PinduoduoConnection(Connection[PinduoduoAuthenticator]):
    """What all streams of one tap run share: the request budget, the signer and the platform clock."""

    use_platform_clock: bool = True
    logger: logging.Logger = logging.getLogger("tap-pinduoduo")  # noqa: RUF009 - a logger is shared, not state
    _platform_offset: float | None = None

    platform = "Pinduoduo"
    default_rate = 10
    secret_keys = ("client_secret", "access_token", "refresh_token", "pii_salt")
    secret_filter = SECRET_FILTER
    identity_keys = ("client_id", "shop_id")
    default_timeout = 12

    @classmethod
    def from_config(cls, config: Mapping[str, t.Any], logger: logging.Logger) -> PinduoduoConnection:
        connection = super().from_config(config, logger)
        return dataclasses.replace(connection, use_platform_clock=bool(config.get("use_platform_clock", True)), logger=logger)

    @classmethod
    def authenticator_for(cls, config: Mapping[str, t.Any], session: requests.Session, logger: logging.Logger) -> PinduoduoAuthenticator:
        return PinduoduoAuthenticator(
            cls.token_calls(config, session, logger),
            router_url=str(config.get("base_url", p.DEFAULT_BASE_URL)),
            client_id=str(config["client_id"]),
            client_secret=str(config["client_secret"]),
            shop_id=str(config["shop_id"]),
        )

    def platform_now(self) -> int:
        """The platform's clock (``pdd.time.get``), read once per run and then carried forward locally.

        The sync end (clock − 3 min) and the 3-month horizon are relative to the platform's clock, which the
        docs say to calibrate with ``pdd.time.get``. Off (``use_platform_clock: false``) or unreadable, the
        local clock is used.
        """
        if self._platform_offset is None:
            self._platform_offset = self._read_platform_offset() if self.use_platform_clock else 0.0
        return int(time.time() + self._platform_offset)

    def _read_platform_offset(self) -> float:
        for attempt in range(self.retry_policy.max_tries):
            try:
                data = self.authenticator.call(p.TIME_GET, {})
                return parse_platform_time(data.get("time")) - time.time()
            except (SourceRetriableError, requests.RequestException) as exc:
                if attempt + 1 >= self.retry_policy.max_tries:
                    self.logger.warning("%s failed (%s); using the local clock instead", p.TIME_GET, SECRET_FILTER.redact(str(exc)))
                    return 0.0
                time.sleep(self.retry_policy.delay(attempt))
            except ValueError as exc:
                self.logger.warning("%s answered an unreadable time (%s); using the local clock instead", p.TIME_GET, exc)
                return 0.0
        return 0.0


# --------------------------------------------------------------------------- stream base
class PinduoduoStream(ResilientStream):
    """Base for Pinduoduo APIs: POST to the router, signed flat JSON body, ``error_response`` envelope."""

    default_timeout = 12
    payload_as_json = False  # the body is built and signed by the authenticator
    path = ""  # one router URL for every API; the API is the body's ``type``
    secret_filter = SECRET_FILTER
    #: The platform's API name (``type``); each stream sets its own.
    api_type: str = ""

    def __init__(self, tap: t.Any) -> None:  # noqa: ANN401
        super().__init__(tap, http_method="POST")
        self._connection: PinduoduoConnection = tap.connection
        self.share_budget(self._connection.bucket)

    @property
    def url_base(self) -> str:
        return str(self.config.get("base_url", p.DEFAULT_BASE_URL))

    @property
    def api_method(self) -> str:
        return self.api_type

    @property
    def http_headers(self) -> dict:
        return {"Content-Type": "application/json;charset=UTF-8", "Accept": "application/json"}

    @property
    def authenticator(self) -> PinduoduoAuthenticator:
        return self._connection.authenticator

    @property
    def retry_policy(self) -> RetryPolicy:  # type: ignore[override]
        return self._connection.retry_policy

    def get_url_params(self, context: t.Any, next_page_token: t.Any) -> dict:  # noqa: ANN401, ARG002
        return {}  # every parameter travels in the signed body

    # ---- responses
    def response_body(self, response: requests.Response) -> dict:
        """The success object under the API's response key (``validate_response`` has checked it exists)."""
        return self.payload(response)[p.RESPONSE_KEYS.get(self.api_type, "")]

    def validate_response(self, response: requests.Response) -> None:
        method = self.api_method
        payload = self.http_answer(response)
        used_token = self.token_sent(response)
        error = PddError.from_payload(payload)
        if error is None:
            body = payload.get(p.RESPONSE_KEYS.get(self.api_type, "")) if isinstance(payload, dict) else None
            if not isinstance(body, dict):
                msg = f"{method}: HTTP {response.status_code} without an error_response or a {p.RESPONSE_KEYS.get(self.api_type)!r} object"
                raise SourceRetriableError(msg, response)
            problem = self.body_problem(body)
            if problem:
                msg = f"{method}: {problem}"
                raise SourceRetriableError(msg, response)
            self.authenticator.confirm(used_token)
            return
        self.act_on(response, error, judge(error))

    def token_sent(self, response: requests.Response) -> str | None:  # noqa: PLR6301
        try:
            return p.parse_json(response.request.body or b"{}").get("access_token")
        except (ValueError, AttributeError):
            return None

    def body_problem(self, body: dict) -> str | None:  # noqa: ARG002, PLR6301
        """Why a success object cannot be used (None = fine); checked inside the retry loop. Per API."""
        return None
