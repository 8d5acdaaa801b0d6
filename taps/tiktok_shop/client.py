"""TikTok Shop REST client for singer-sdk: signing, token refresh, envelope, errors, window paging.

* :class:`TikTokShopAuthenticator` signs every HTTP send (fresh ``timestamp`` — the gateway accepts
  5 minutes back to 30 s ahead — and the current access token in ``x-tts-access-token``) and renews
  the token at the auth host when the gateway answers 105002.
* :func:`judge` looks ``{code, message, request_id, data}`` up in the protocol's error table (retry / refresh / fatal).
* window paging is the shared :class:`~orderlayer.taps.common.paging.WindowedCursorPaginator`
  (``update_time`` windows ``[ge, lt)``, the ``page_token``/``next_page_token`` cursor inside each).
* :class:`TikTokShopStream` wires them into :class:`~orderlayer.taps.common.stream.ResilientStream`.

Signing lives in the authenticator because singer-sdk prepares a request once per page and re-sends
that prepared request on every retry, applying the authenticator before each send.
"""

from __future__ import annotations

import abc
import decimal
import json
import logging
import typing as t
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests

from orderlayer.taps.common.envelope import Action, Verdict
from orderlayer.taps.common.errors import SourceAPIError, SourceRetriableError
from orderlayer.taps.common.http import Connection
from orderlayer.taps.common.ratelimit import parse_retry_after
from orderlayer.taps.common.redact import SecretFilter
from orderlayer.taps.common.refresh import NewTokens, RefreshingAuthenticator, TokenCalls
from orderlayer.taps.common.stream import ResilientStream
from orderlayer.taps.common.tokens import expiry_from
from orderlayer.taps.tiktok_shop import protocol as p

if t.TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "Envelope",
    "TikTokShopAuthenticator",
    "TikTokShopConnection",
    "TikTokShopStream",
    "judge",
]

#: One filter for the tap's loggers and the libraries under it: secrets never reach a log line.
SECRET_FILTER = SecretFilter()


# --------------------------------------------------------------------------- envelope
@dataclass(frozen=True)
class Envelope:
    """The gateway's response wrapper ``{code, message, request_id, data}``."""

    code: int
    message: str
    request_id: str
    data: t.Any

    @classmethod
    def from_payload(cls, payload: t.Any) -> Envelope:  # noqa: ANN401
        if not isinstance(payload, dict) or "code" not in payload:
            msg = "response is not a TikTok Shop envelope (no 'code')"
            raise ValueError(msg)
        try:
            code = int(payload["code"])
        except (TypeError, ValueError):
            msg = f"response 'code' is not an integer: {payload['code']!r}"
            raise ValueError(msg) from None
        return cls(code, str(payload.get("message") or ""), str(payload.get("request_id") or ""), payload.get("data"))

    @classmethod
    def parse(cls, content: bytes) -> Envelope:
        # Decimal keeps any non-integer number exactly as written; ids and amounts arrive as strings anyway.
        return cls.from_payload(json.loads(content, parse_float=decimal.Decimal))

    def describe(self, call: str) -> str:
        text = f"{call} answered code {self.code}"
        if self.message:
            text += f" ({self.message})"
        if self.request_id:
            text += f" [request_id {self.request_id}]"
        return text


def judge(envelope: Envelope, http_status: int = 200) -> Verdict:
    """What to do about an answer (:data:`protocol.ERRORS`): throttling and gateway trouble retry whatever the
    code, an expired token refreshes, a failing HTTP status is never a success."""
    if http_status == 429 or http_status >= 500:
        return Verdict(Action.RETRY)
    if http_status >= 400 and envelope.code == p.CODE_OK:
        return Verdict(Action.FATAL, p.ERRORS.fallback_hint)
    return p.ERRORS.judge(envelope.code, text=envelope.message)


# --------------------------------------------------------------------------- auth
class TikTokShopAuthenticator(RefreshingAuthenticator[Envelope]):
    """Signs each request and owns the access token (refreshed at most once per rejected token).

    Idempotent: singer-sdk applies it when preparing and before every send; each application
    replaces the previous ``app_key``/``timestamp``/``sign`` with ones for the current clock and token.
    """

    platform = "TikTok Shop"
    #: Refreshes one run may make before a further rejection is taken as a broken authorisation.
    max_refreshes = 3

    def __init__(
        self,
        calls: TokenCalls,
        *,
        base_url: str,
        auth_base_url: str,
        app_key: str,
        app_secret: str,
    ) -> None:
        super().__init__(calls)
        self._base_path = urlsplit(base_url).path.rstrip("/")
        self._auth_base_url = auth_base_url.rstrip("/")
        self._app_key = app_key
        self._app_secret = app_secret
        self._replaced: set[str] = set()  # tokens already refreshed away from (never refresh twice for one)

    def api_path(self, url: str) -> str:
        """The path TikTok signs: the URL path without any prefix of ``base_url`` (a proxy mount)."""
        path = urlsplit(url).path
        if self._base_path and path.startswith(self._base_path):
            path = path[len(self._base_path) :]
        return path

    def authenticate_request(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if not request.url:
            return request
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        self.refresh_if_due()
        scheme, netloc, path, query, fragment = urlsplit(request.url)
        params = dict(parse_qsl(query, keep_blank_values=True))
        signed = p.signed_query(
            app_key=self._app_key,
            app_secret=self._app_secret,
            path=self.api_path(request.url),
            params=params,
            body=body,
            timestamp=int(self._clock()),
        )
        request.url = urlunsplit((scheme, netloc, path, urlencode(signed), fragment))
        request.headers[p.ACCESS_TOKEN_HEADER] = self._access_token
        return request

    def rejected_again(self) -> str | None:
        """TikTok's rule (no cooldown): a token a refresh already replaced, or a run past ``max_refreshes``."""
        if self._access_token in self._replaced or self.refresh_count >= self.max_refreshes:
            return "even after a token refresh"
        return None

    def fetch_tokens(self) -> NewTokens:
        """``GET {auth host}/api/v2/token/refresh`` (query: app_key, app_secret, refresh_token, grant_type)."""
        self._replaced.add(self._access_token)
        call = p.TOKEN_REFRESH_PATH
        params = {
            "app_key": self._app_key,
            "app_secret": self._app_secret,
            "refresh_token": self._refresh_token or "",
            "grant_type": "refresh_token",
        }
        try:
            response = self._session.get(self._auth_base_url + call, params=params, timeout=self._timeout)
        except requests.RequestException as exc:
            msg = f"{call}: {SECRET_FILTER.redact(type(exc).__name__ + ': ' + str(exc))}"
            raise SourceRetriableError(msg) from None
        try:
            envelope = Envelope.parse(response.content)
        except ValueError:
            if response.status_code == 429 or response.status_code >= 500:
                msg = f"{call}: HTTP {response.status_code} while refreshing the access token"
                raise SourceRetriableError(msg, response, retry_after=parse_retry_after(response.headers)) from None
            msg = f"{call}: HTTP {response.status_code} with a body that is not a TikTok envelope; check 'auth_base_url'"
            raise SourceAPIError(msg) from None
        action = judge(envelope, response.status_code).action
        if action is Action.RETRY:
            raise SourceRetriableError(envelope.describe(call), response, retry_after=parse_retry_after(response.headers), code=envelope.code)
        data = envelope.data if isinstance(envelope.data, dict) else {}
        new_access = data.get("access_token")
        if action is not Action.OK or not new_access:
            msg = (
                f"refreshing the access token failed: {envelope.describe(call)}. The refresh_token is expired, revoked "
                "or not issued to this app_key/app_secret: re-authorize the shop and set new 'access_token' and "
                "'refresh_token' in the config."
            )
            raise self.answer_error(envelope, msg)
        # Despite the names, *_expire_in are epoch seconds (the moment of expiry), not durations.
        return NewTokens.from_answer(
            new_access, data.get("refresh_token"),
            access_expires_at=expiry_from(self._clock(), expires_at=data.get("access_token_expire_in")),
            refresh_expires_at=expiry_from(self._clock(), expires_at=data.get("refresh_token_expire_in")),
        )


# --------------------------------------------------------------------------- shared per tap
class TikTokShopConnection(Connection[TikTokShopAuthenticator]):
    """What all streams of one tap run share: one request budget, one signer and token, and the shop's cipher
    (looked up once per run when the config has none)."""

    platform = "TikTok Shop"
    default_rate = 20
    secret_filter = SECRET_FILTER
    shop_cipher: str | None = None

    @classmethod
    def authenticator_for(cls, config: Mapping[str, t.Any], session: requests.Session, logger: logging.Logger) -> TikTokShopAuthenticator:
        return TikTokShopAuthenticator(
            cls.token_calls(config, session, logger),
            base_url=str(config.get("base_url", p.DEFAULT_BASE_URL)),
            auth_base_url=str(config.get("auth_base_url", p.DEFAULT_AUTH_BASE_URL)),
            app_key=str(config["app_key"]),
            app_secret=str(config["app_secret"]),
        )


# --------------------------------------------------------------------------- paging
def as_optional_int(value: t.Any, name: str) -> int | None:  # noqa: ANN401
    """``total_count`` may be missing; when present it must be an integer (some proxies send strings)."""
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        msg = f"response field {name!r} is not an integer: {value!r}"
        raise SourceRetriableError(msg) from None


# --------------------------------------------------------------------------- stream base
class TikTokShopStream(ResilientStream):
    """Base for TikTok Shop endpoints: signed query, ``x-tts-access-token`` header, JSON envelope."""

    default_timeout = 30
    secret_filter = SECRET_FILTER
    #: TikTok timestamps are epoch seconds; naive strings never occur, UTC is the neutral reading.
    source_zone = "UTC"
    payload_as_json = False  # the body is the exact bytes that were signed

    def __init__(self, tap: t.Any, *, http_method: str = "POST") -> None:  # noqa: ANN401
        super().__init__(tap, http_method=http_method)
        self._connection: TikTokShopConnection = tap.connection
        self.share_budget(self._connection.bucket)

    @property
    def url_base(self) -> str:
        return str(self.config.get("base_url", p.DEFAULT_BASE_URL)).rstrip("/")

    @property
    def http_headers(self) -> dict:
        return {"Content-Type": "application/json", "Accept": "application/json"}

    @property
    def authenticator(self) -> TikTokShopAuthenticator:
        return self._connection.authenticator

    # ---- responses
    def envelope(self, response: requests.Response) -> Envelope:
        cached = getattr(response, "_tiktok_envelope", None)
        if cached is None:
            cached = Envelope.parse(response.content)
            response._tiktok_envelope = cached  # type: ignore[attr-defined]  # parsed once per response
        return cached

    def validate_response(self, response: requests.Response) -> None:
        call = self.api_method
        hint = parse_retry_after(response.headers)
        try:
            envelope = self.envelope(response)
        except ValueError:
            if response.status_code == 429 or response.status_code >= 500:
                msg = f"{call}: HTTP {response.status_code} {response.reason}"
                raise SourceRetriableError(msg, response, retry_after=hint) from None
            if response.status_code >= 400:
                msg = f"{call}: HTTP {response.status_code} {response.reason} with a non-JSON body; check 'base_url'"
                raise SourceAPIError(msg) from None
            # A 200 whose body does not parse: a truncated transfer. Fetch the page again.
            msg = f"{call}: HTTP {response.status_code} with a truncated or non-JSON body"
            raise SourceRetriableError(msg, response) from None
        verdict = judge(envelope, response.status_code)
        if verdict.action is Action.OK:
            if not isinstance(envelope.data, dict):
                msg = f"{call}: success without a data object [request_id {envelope.request_id}]"
                raise SourceRetriableError(msg, response)
            problem = self.data_problem(envelope.data)
            if problem:
                msg = f"{call}: {problem} [request_id {envelope.request_id}]"
                raise SourceRetriableError(msg, response)
        self.act_on(response, envelope, verdict, retry_after=hint)

    def token_sent(self, response: requests.Response) -> str | None:  # noqa: PLR6301
        return response.request.headers.get(p.ACCESS_TOKEN_HEADER) if response.request is not None else None

    # ---- records
    def parse_response(self, response: requests.Response) -> t.Iterable[dict]:
        yield from self.records_from_data(self.envelope(response).data or {})

    def data_problem(self, data: dict) -> str | None:  # noqa: ARG002, PLR6301
        """Why a successful ``data`` object cannot be used (None = fine). Per endpoint."""
        return None

    @abc.abstractmethod
    def records_from_data(self, data: dict) -> t.Iterable[dict]:
        """The records of one page, from the envelope's ``data`` object."""
