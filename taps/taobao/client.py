"""Taobao TOP REST client for singer-sdk: signing, session renewal, the error envelope, retries.

Layout (MeltanoLabs style): :class:`TaobaoAuthenticator` signs every HTTP send and owns the session
renewal; :func:`judge` looks TOP's ``error_response`` (``code`` / ``sub_code``) up in the protocol's
error table (retry / renew / fatal); :class:`TaobaoStream` wires them into singer-sdk's hooks. The retry loop is the shared
:class:`~orderlayer.taps.common.stream.ResilientStream`'s.

Wire format: POST to ``/router/rest``; the system parameters (``method``, ``app_key``, ``session``,
``timestamp``, ``format``, ``v``, ``sign_method``, ``sign``) travel in the query string, the business
parameters as a form body, and the signature covers both (fact sheet §2). Signing happens in the
authenticator because singer-sdk re-sends the same prepared request on every retry: each try gets a
fresh ``timestamp`` and the current session after a renewal.
"""

from __future__ import annotations

import logging
import typing as t
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests

from orderlayer.taps.common.envelope import Verdict
from orderlayer.taps.common.errors import ErrorResponse, SourceAPIError, SourceRetriableError
from orderlayer.taps.common.http import Connection
from orderlayer.taps.common.ratelimit import parse_retry_after
from orderlayer.taps.common.redact import SecretFilter
from orderlayer.taps.common.refresh import NewTokens, RefreshingAuthenticator, TokenCalls
from orderlayer.taps.common.stream import ResilientStream
from orderlayer.taps.common.tokens import expiry_from
from orderlayer.taps.taobao import protocol as p

if t.TYPE_CHECKING:
    from collections.abc import Mapping

    from singer_sdk.helpers.types import Context

__all__ = ["TaobaoAuthenticator", "TaobaoConnection", "TaobaoStream", "TopError", "judge"]

#: One process-wide filter: records from urllib3/backoff/our loggers lose secret values.
SECRET_FILTER = SecretFilter()


# --------------------------------------------------------------------------- errors
class TopError(ErrorResponse):
    """TOP's ``{"error_response": {code, msg, sub_code, sub_msg, request_id}}``."""

    code_label = "error code"


def judge(error: TopError) -> Verdict:
    """Fact sheet §4: what to do about an ``error_response`` (:data:`protocol.ERRORS`)."""
    return p.ERRORS.judge(error.code, sub_code=error.sub_code)


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
        calls: TokenCalls,
        *,
        app_key: str,
        app_secret: str,
        token_url: str,
        sign_method: str,
        partner_id: str | None,
    ) -> None:
        super().__init__(calls)
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
class TaobaoConnection(Connection[TaobaoAuthenticator]):
    """What all streams of one tap share: the request budget and the signer."""

    platform = "Taobao"
    default_rate = 5
    secret_filter = SECRET_FILTER
    default_timeout = 20

    @classmethod
    def authenticator_for(cls, config: Mapping[str, t.Any], session: requests.Session, logger: logging.Logger) -> TaobaoAuthenticator:
        return TaobaoAuthenticator(
            cls.token_calls(config, session, logger),
            app_key=str(config["app_key"]),
            app_secret=str(config["app_secret"]),
            token_url=str(config.get("token_url") or p.DEFAULT_TOKEN_URL),
            sign_method=config.get("sign_method", p.SIGN_METHOD_MD5),
            partner_id=config.get("partner_id"),
        )


# --------------------------------------------------------------------------- stream base
class TaobaoStream(ResilientStream):
    """Base for TOP router calls: POST form, signed query, ``*_response`` / ``error_response`` bodies."""

    default_timeout = 20

    #: The TOP API method this stream calls.
    top_method: str = ""
    path = p.ROUTER_PATH
    payload_as_json = False  # business parameters go as a form body
    secret_filter = SECRET_FILTER
    source_zone = p.SOURCE_ZONE

    def __init__(self, tap: t.Any) -> None:  # noqa: ANN401
        super().__init__(tap, http_method="POST")
        self._connection: TaobaoConnection = tap.connection
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
    def authenticator(self) -> TaobaoAuthenticator:
        return self._connection.authenticator

    def get_url_params(self, context: Context | None, next_page_token: t.Any) -> dict[str, t.Any]:  # noqa: ANN401, ARG002
        # The authenticator completes the system parameters (and the signature) on every send.
        return {"method": self.top_method}

    # ---- responses
    def result(self, response: requests.Response) -> dict:
        """The method's ``*_response`` object (validated before records are parsed)."""
        return self.payload(response)[p.response_key(self.top_method)]

    #: TOP calls the access token the seller's "session".
    token_renewed_note = "session renewed, retrying"

    def token_sent(self, response: requests.Response) -> str | None:  # noqa: PLR6301
        return dict(parse_qsl(urlsplit(response.request.url or "").query)).get("session")

    def validate_response(self, response: requests.Response) -> None:
        method = self.top_method
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
        ban = p.ban_seconds(error.sub_msg, error.msg)
        self.act_on(response, error, judge(error), retry_after=ban)

    def data_problem(self, body: dict) -> str | None:  # noqa: ARG002, PLR6301
        """Why a successful ``*_response`` object cannot be used (None = fine). Per endpoint."""
        return None
