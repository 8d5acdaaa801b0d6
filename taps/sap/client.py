"""SAP OData V2 client for singer-sdk: authentication, Gateway errors, and seek paging by LastChangeDateTime.

* :class:`SapAuthenticator` sets HTTP Basic (communication user) or a Bearer token from the OAuth
  client-credentials endpoint; a token the server rejects (401 ``invalid_token``) is renewed once per rejection.
* :meth:`SapStream.validate_response` maps answers: 429 / 5xx / a cut body → retry (honouring Retry-After);
  401 with a Bearer token → renew and retry at once; 401 with Basic, 403, other 4xx → fatal, naming the config key.
* :class:`SeekPaginator` pages one ``LastChangeDateTime`` window at a time. Plain ``$skip`` paging loses a row when
  an already-read order changes while we page (it leaves the window and later rows shift back onto a page we
  have read), and the count that would reveal it (``$inlinecount``) makes the service fail (KBA 3616518). So each
  next request *seeks*: it restarts the window at the last emitted ``LastChangeDateTime`` (``ge``, millisecond
  literal) and skips only the rows of that same millisecond already emitted. A server-driven ``d.__next`` link is
  followed as given.
"""

from __future__ import annotations

import json
import threading
import typing as t
from dataclasses import dataclass

import requests
from singer_sdk.authenticators import APIAuthenticatorBase
from singer_sdk.pagination import BaseAPIPaginator

from orderlayer.taps.common.errors import SourceAPIError, SourceRetriableError, TokenRefreshedError
from orderlayer.taps.common.ratelimit import parse_retry_after
from orderlayer.taps.common.stream import DeferredAuthStream, exact_json
from orderlayer.taps.sap import protocol as p

if t.TYPE_CHECKING:
    import logging
    from collections.abc import Iterable

    from orderlayer.taps.common.windows import Window

__all__ = ["SapAuthenticator", "SapPage", "SapStream", "SeekPaginator"]


# --------------------------------------------------------------------------- auth
class SapAuthenticator(APIAuthenticatorBase):
    """HTTP Basic or OAuth 2.0 client credentials, applied to every send (retries see a renewed token)."""

    def __init__(
        self,
        *,
        method: str,
        username: str | None,
        password: str | None,
        client_id: str | None,
        client_secret: str | None,
        token_url: str,
        timeout: float,
        session: requests.Session,
        logger: logging.Logger,
    ) -> None:
        super().__init__()
        self.method = method
        self._basic = p.basic_authorization(username or "", password or "") if method == p.AUTH_BASIC else None
        self._client = (client_id or "", client_secret or "")
        self._token_url = token_url
        self._timeout = timeout
        self._session = session
        self._lock = threading.Lock()
        self._token: str | None = None
        self.token_fetches = 0
        self.logger = logger

    def authenticate_request(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = self._basic or f"Bearer {self.bearer_token()}"
        return request

    def bearer_token(self) -> str:
        with self._lock:
            if self._token is None:
                self._token = self._fetch_token()
            return self._token

    def handle_rejected(self, used: str | None) -> None:
        """The server rejected ``used``; fetch a new token unless another thread already did."""
        with self._lock:
            if self._token is None or used == f"Bearer {self._token}":
                self._token = self._fetch_token()

    def _fetch_token(self) -> str:
        self.token_fetches += 1
        try:
            response = self._session.post(
                self._token_url,
                data={"grant_type": "client_credentials"},
                headers={"Authorization": p.basic_authorization(*self._client), "Accept": "application/json"},
                timeout=self._timeout,
            )
        except requests.RequestException as exc:
            msg = f"OAuth token request failed: {type(exc).__name__}"
            raise SourceRetriableError(msg) from None
        if response.status_code in (429,) or response.status_code >= 500:
            msg = f"OAuth token endpoint answered HTTP {response.status_code}"
            raise SourceRetriableError(msg, retry_after=parse_retry_after(response.headers))
        try:
            payload = response.json()
        except ValueError:
            payload = {}
        token = payload.get("access_token") if isinstance(payload, dict) else None
        if response.status_code != 200 or not token:
            error = payload.get("error") if isinstance(payload, dict) else None
            msg = (
                f"OAuth token request refused (HTTP {response.status_code}{', ' + str(error) if error else ''}): "
                "check client_id / client_secret and token_url (the communication arrangement's OAuth client)"
            )
            raise SourceAPIError(msg, code=response.status_code)
        self.logger.info("Obtained an OAuth access token for API_SALES_ORDER_SRV (valid %s s)", payload.get("expires_in", "?"))
        return str(token)


# --------------------------------------------------------------------------- paging
@dataclass(frozen=True)
class SapPage:
    """One request: the window ``[seek_ms, end)``, rows of the seek millisecond to skip, or a server next link."""

    window_start: int
    window_end: int
    seek_ms: int
    skip: int = 0
    next_link: str | None = None
    #: Rows served so far by the current request and its ``__next`` chain.
    chain_rows: int = 0


class SeekPaginator(BaseAPIPaginator[SapPage | None]):
    """Walks LastChangeDateTime windows ascending; within one, seeks past the last emitted row (module docstring)."""

    def __init__(self, windows: Iterable[Window], top: int, *, logger: logging.Logger, resume_ms: int | None = None) -> None:
        self._windows = iter(windows)
        first = next(self._windows, None)
        seek = first.start * 1000 if first is not None else 0
        if first is not None and resume_ms is not None:
            seek = max(seek, resume_ms)  # the first window resumes at the bookmark itself
        super().__init__(None if first is None else SapPage(first.start, first.end, seek))
        if first is None:
            self._finished = True
        self.top = top
        self.logger = logger
        self._last_ms: int | None = None
        self._ties = 0  # emitted rows whose LastChangeDateTime ms equals _last_ms
        self._page_rows = 0
        self._next_link: str | None = None
        self.requests_made = 0
        self.windows_completed = 0
        self.server_pages_followed = 0

    def accept_page(self, records: list[dict], next_link: str | None) -> None:
        """Note what a page emitted (every record, in order) before the next token is computed."""
        self._page_rows = len(records)
        self._next_link = next_link
        for record in records:
            ms = p.parse_odata_date(record[p.REPLICATION_PROPERTY]).epoch_ms
            if ms == self._last_ms:
                self._ties += 1
            else:
                self._last_ms, self._ties = ms, 1

    def continue_if_empty(self, response: requests.Response) -> bool:  # noqa: ARG002
        return True  # an empty window is not the end: more windows may follow

    def get_next(self, response: requests.Response) -> SapPage | None:  # noqa: ARG002
        token = self.current_value
        if token is None:
            return None
        self.requests_made += 1
        served = token.chain_rows + self._page_rows
        if self._next_link:
            self.server_pages_followed += 1
            return SapPage(token.window_start, token.window_end, token.seek_ms, token.skip, self._next_link, served)
        if served >= self.top and self._last_ms is not None:
            # A full $top: seek past what was emitted (never a plain $skip offset).
            return SapPage(token.window_start, token.window_end, self._last_ms, self._ties)
        self.windows_completed += 1
        self._last_ms, self._ties = None, 0
        window = next(self._windows, None)
        return None if window is None else SapPage(window.start, window.end, window.start * 1000)


def ms_literal(epoch_ms: int) -> str:
    """``datetimeoffset'…'`` with milliseconds (seek points fall inside a second)."""
    seconds, ms = divmod(epoch_ms, 1000)
    whole = p.datetimeoffset_literal(seconds)
    return f"{whole[:-2]}.{ms:03d}Z'"


# --------------------------------------------------------------------------- stream base
class SapStream(DeferredAuthStream):
    """Base for API_SALES_ORDER_SRV entity sets: JSON, Gateway errors, authentication."""

    @property
    def http_headers(self) -> dict:
        return {"Accept": "application/json"}

    def validate_response(self, response: requests.Response) -> None:
        method = self.api_method
        status = response.status_code
        if status == 429 or status >= 500:
            detail = self._error_detail(response)
            msg = f"{method}: HTTP {status} {response.reason}{detail}"
            raise SourceRetriableError(msg, response, retry_after=parse_retry_after(response.headers), code=status)
        if status == 401:
            used = response.request.headers.get("Authorization") if response.request is not None else None
            if self.authenticator.method == p.AUTH_OAUTH2:
                challenge = response.headers.get("WWW-Authenticate", "")
                if "invalid_token" in challenge or "Bearer" in challenge:
                    self.authenticator.handle_rejected(used)
                    msg = f"{method}: the OAuth access token was rejected (expired); obtained a new one, retrying"
                    raise TokenRefreshedError(msg, response)
            msg = (
                f"{method}: HTTP 401, logon failed. Check username / password (the communication user of arrangement "
                "SAP_COM_0109; a dialog user is redirected to SAML and cannot call the API) and base_url (the -api host)"
            )
            raise SourceAPIError(msg, code=401)
        if status == 403:
            msg = (
                f"{method}: HTTP 403, not authorised{self._error_detail(response)}. Give the communication user the "
                "Sales Order Integration arrangement (SAP_COM_0109) or the role for API_SALES_ORDER_SRV"
            )
            raise SourceAPIError(msg, code=403)
        if status >= 400:
            msg = (
                f"{method}: HTTP {status}{self._error_detail(response)}. The service rejected the query; check base_url "
                "and page_size (<= 5000), and report a tap bug if the $filter/$orderby is refused"
            )
            raise SourceAPIError(msg, code=status)
        try:
            payload = exact_json(response)
        except ValueError:
            msg = f"{method}: HTTP {status} with a body that is not complete JSON (a cut response); fetching it again"
            raise SourceRetriableError(msg, response) from None
        data = payload.get("d") if isinstance(payload, dict) else None
        if not isinstance(data, dict) or not isinstance(data.get("results"), list):
            msg = f"{method}: the response has no d.results list; fetching it again"
            raise SourceRetriableError(msg, response)

    @staticmethod
    def _error_detail(response: requests.Response) -> str:
        """`` (code: message)`` from a Gateway error body; never the URL or anything else."""
        try:
            found = p.error_text(json.loads(response.content))
        except ValueError:
            return ""
        return f" ({found[0]}: {found[1]})" if found else ""
