"""YonBIP open-API client for singer-sdk: the self-built-app token, the ``{code, message, data}`` envelope, and
flattened list rows regrouped into orders.

* :class:`YonyouAuthenticator` fetches an access token (signed ``getAccessToken``), renews it before its
  2-hour expiry and when the gateway rejects it (codes 310036 / 310037), and puts it in the ``access_token``
  query parameter of every send.
* :meth:`YonyouStream.validate_response`: HTTP 429 / 5xx and a cut body are retried (Retry-After honoured);
  a rejected token is renewed and the call retried at once; any other code is fatal, with the likely fix.
* :class:`OrderGrouper` turns the ``isSum=false`` rows (one per order line) back into one record per order,
  holding an order cut by a page end until its other lines arrive.
"""

from __future__ import annotations

import json
import threading
import time
import typing as t
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
from singer_sdk.authenticators import APIAuthenticatorBase

from orderlayer.taps.common.errors import SourceAPIError, SourceRetriableError, TokenRefreshedError
from orderlayer.taps.common.ratelimit import parse_retry_after
from orderlayer.taps.common.stream import DeferredAuthStream, exact_json
from orderlayer.taps.yonyou import protocol as p

if t.TYPE_CHECKING:
    import logging
    from collections.abc import Iterable

__all__ = ["OrderGrouper", "YonyouAuthenticator", "YonyouStream"]


class YonyouAuthenticator(APIAuthenticatorBase):
    """Self-built app (自建应用) token: signed fetch, proactive renewal, renewal on rejection."""

    def __init__(
        self,
        *,
        token_url: str,
        app_key: str,
        app_secret: str,
        timeout: float,
        session: requests.Session,
        logger: logging.Logger,
        on_secret: t.Callable[[str], None] = lambda _s: None,
        clock: t.Callable[[], float] = time.time,
        renew_margin_seconds: float = 300,
    ) -> None:
        super().__init__()
        self._url = token_url.rstrip("/") + p.TOKEN_PATH
        self._app_key = app_key
        self._app_secret = app_secret
        self._timeout = timeout
        self._session = session
        self._clock = clock
        self._margin = renew_margin_seconds
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_at = 0.0
        self._on_secret = on_secret
        self.fetches = 0
        self.logger = logger

    def authenticate_request(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        token = self.token()
        parts = urlsplit(request.url or "")
        query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "access_token"]
        query.append(("access_token", token))
        request.url = urlunsplit(parts._replace(query=urlencode(query)))
        return request

    def token(self) -> str:
        with self._lock:
            if self._token is None or self._clock() >= self._expires_at - self._margin:
                self._fetch()
            return self._token  # type: ignore[return-value]

    def rejected(self, used: str | None) -> None:
        """The gateway refused ``used``: fetch a new token unless another request already did."""
        with self._lock:
            if self._token is None or used == self._token:
                self._fetch()

    def _fetch(self) -> None:
        """GET getAccessToken with a fresh signed timestamp; caller holds the lock."""
        self.fetches += 1
        timestamp = int(self._clock() * 1000)
        url = f"{self._url}?{p.token_query(self._app_key, self._app_secret, timestamp)}"
        try:
            response = self._session.get(url, timeout=self._timeout)
        except requests.RequestException as exc:
            msg = f"getAccessToken failed: {type(exc).__name__}"
            raise SourceRetriableError(msg) from None
        if response.status_code == 429 or response.status_code >= 500:
            msg = f"getAccessToken answered HTTP {response.status_code}"
            raise SourceRetriableError(msg, retry_after=parse_retry_after(response.headers))
        try:
            payload = response.json()
        except ValueError:
            payload = None
        code = p.envelope_code(payload)
        data = payload.get("data") if isinstance(payload, dict) else None
        token = data.get("access_token") if isinstance(data, dict) else None
        if code != p.TOKEN_OK or not token:
            message = payload.get("message") if isinstance(payload, dict) else None
            msg = (
                f"getAccessToken refused (HTTP {response.status_code}, code {code}: {message or 'no message'}): check "
                "app_key and app_secret (the self-built app), token_url (the tenant's auth host), and this machine's clock"
            )
            raise SourceAPIError(msg, code=code)
        self._token = str(token)
        self._on_secret(self._token)
        try:
            lifetime = float(data.get("expire", p.TOKEN_TTL_SECONDS))
        except (TypeError, ValueError):
            lifetime = float(p.TOKEN_TTL_SECONDS)
        self._expires_at = self._clock() + lifetime
        self.logger.info("Obtained a YonBIP access token (valid %s s)", int(lifetime))


class OrderGrouper:
    """Flattened rows (sorted by the stream's order) → one record per order id (:func:`protocol.group_rows`)."""

    def __init__(self, line_fields: Iterable[str] = p.LINE_FIELDS) -> None:
        self.line_fields = frozenset(line_fields)
        self._held: list[dict] = []

    def reset(self) -> None:
        """Drop a held order (its page was rejected; the rescan brings its rows again)."""
        self._held = []

    def feed(self, rows: Iterable[dict], *, final: bool) -> list[dict]:
        orders: list[dict] = []
        current = self._held
        for row in rows:
            if current and row.get(p.ORDER_ID_KEY) != current[0].get(p.ORDER_ID_KEY):
                orders.append(p.group_rows(current, self.line_fields))
                current = []
            current.append(row)
        self._held = current
        if final and self._held:
            orders.append(p.group_rows(self._held, self.line_fields))
            self._held = []
        return orders


class YonyouStream(DeferredAuthStream):
    """Base for YonBIP gateway calls: ``{gateway}/yonbip/…?access_token=``, JSON, the envelope."""

    @property
    def http_headers(self) -> dict:
        return {"Content-Type": "application/json;charset=UTF-8", "Accept": "application/json"}

    def validate_response(self, response: requests.Response) -> None:
        method = self.api_method
        status = response.status_code
        if status == 429 or status >= 500:
            msg = f"{method}: HTTP {status} {response.reason}{self._message(response)}"
            raise SourceRetriableError(msg, response, retry_after=parse_retry_after(response.headers), code=status)
        try:
            payload = exact_json(response)
        except (ValueError, UnicodeDecodeError):
            if status >= 400:
                msg = f"{method}: HTTP {status} {response.reason} with a non-JSON body; check base_url"
                raise SourceAPIError(msg, code=status) from None
            msg = f"{method}: the body is not complete JSON (a cut response); fetching it again"
            raise SourceRetriableError(msg, response) from None
        code = p.envelope_code(payload)
        message = payload.get("message") if isinstance(payload, dict) else None
        if code in p.TOKEN_REJECTED_CODES:
            used = dict(parse_qsl(urlsplit(response.request.url or "").query)).get("access_token") if response.request else None
            self.authenticator.rejected(used)
            msg = f"{method}: the gateway rejected the access token (code {code}: {message}); renewed it, retrying"
            raise TokenRefreshedError(msg, response)
        if code != p.LIST_OK:
            msg = (
                f"{method}: HTTP {status}, code {code}: {message or 'no message'}. Check base_url (the tenant's data "
                "centre), that the app is authorised for 销售订单列表查询, page_size (<= 500) and incremental_field"
            )
            raise SourceAPIError(msg, code=code)
        data = payload.get("data")
        if not isinstance(data, dict) or not isinstance(data.get("recordList", []), list):
            msg = f"{method}: success without a data.recordList; fetching it again"
            raise SourceRetriableError(msg, response)

    @staticmethod
    def _message(response: requests.Response) -> str:
        try:
            payload = json.loads(response.content)
        except ValueError:
            return ""
        if isinstance(payload, dict) and payload.get("message"):
            return f" ({payload.get('code')}: {payload['message']})"
        return ""
