"""Kingdee K3Cloud WebAPI client for singer-sdk: signed headers or session login, ResponseStatus errors,
keyset paging over FModifyDate windows, and entry rows grouped back into bills.

* :class:`KingdeeAuthenticator` applies, on every send, the SDK's signed headers (fresh timestamp; the server
  opens a session from them) or the session cookie of a ``ValidateUser`` login, and sends back the cookies the
  server set. When the server says the session is lost (``MsgCode`` 1) the cookies are dropped (signed mode) or
  the user logs in again (login mode), and the call is retried at once.
* :meth:`KingdeeStream.validate_response`: HTTP 429 / 5xx, a cut body and a ``response_error:`` body are retried;
  ``ResponseStatus`` errors are mapped by ``MsgCode`` to "log in again", retry, or a fatal message naming the
  config key to fix.
* :class:`KeysetPaginator` asks for the rows after the last received (FModifyDate, FID, entry) instead of an
  offset, so modifications during paging cannot shift a row past us (protocol.keyset_filter).
* :class:`BillGrouper` turns the one-row-per-entry answer into one record per bill; a bill cut by the page end
  is held back until its remaining entries arrive.
"""

from __future__ import annotations

import datetime as dt
import functools
import http.cookiejar
import threading
import time
import typing as t
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from singer_sdk.authenticators import APIAuthenticatorBase
from singer_sdk.pagination import BaseAPIPaginator

from orderlayer.taps.common.envelope import Action, ErrorTable
from orderlayer.taps.common.errors import SourceAPIError, SourceRetriableError
from orderlayer.taps.common.ratelimit import parse_retry_after
from orderlayer.taps.common.stream import DeferredAuthStream, exact_json
from orderlayer.taps.kingdee import protocol as p

if t.TYPE_CHECKING:
    import logging
    from collections.abc import Iterable, Sequence

    from orderlayer.taps.common.windows import Window

__all__ = ["BillGrouper", "KeysetPaginator", "KdPage", "KingdeeAuthenticator", "KingdeeStream"]

class _NoCookies(http.cookiejar.DefaultCookiePolicy):
    """The authenticator owns the session cookies (a retry must not re-send a stale one from the jar)."""

    def set_ok(self, cookie: http.cookiejar.Cookie, request: t.Any) -> bool:  # noqa: ANN401, ARG002
        return False


def isolate_cookies(session: requests.Session) -> requests.Session:
    session.cookies.set_policy(_NoCookies())
    return session


# --------------------------------------------------------------------------- auth
class KingdeeAuthenticator(APIAuthenticatorBase):
    """Signed headers (``signed_headers``) or a ``ValidateUser`` session (``validate_user``); see module docstring."""

    def __init__(
        self,
        *,
        mode: str,
        base_url: str,
        identity: p.SigningIdentity,
        password: str | None,
        login_body_style: str,
        timeout: float,
        session: requests.Session,
        logger: logging.Logger,
        on_secret: t.Callable[[str], None] = lambda _s: None,
        clock: t.Callable[[], float] = time.time,
    ) -> None:
        super().__init__()
        self.mode = mode
        self.identity = identity
        self._password = password or ""
        self._login_body_style = login_body_style
        self._login_url = base_url.rstrip("/") + "/" + p.VALIDATE_USER + p.SERVICE_SUFFIX
        self._timeout = timeout
        self._session = session
        self._clock = clock
        self._lock = threading.Lock()
        self._cookies: dict[str, str] = {}
        self._on_secret = on_secret
        self.logins = 0
        self.sessions_lost = 0
        self.logger = logger

    # ---- per send
    def authenticate_request(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if self.mode == p.AUTH_SESSION:
            with self._lock:
                if not self._cookies:
                    self._login()
        with self._lock:
            cookies = dict(self._cookies)
        if self.mode == p.AUTH_SIGNED:
            path = urlsplit(request.url or "").path
            request.headers.update(p.signed_headers(self.identity, path, str(int(self._clock()))))
        if cookies:
            request.headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        else:
            request.headers.pop("Cookie", None)
        return request

    def remember_cookies(self, response: requests.Response) -> None:
        """Keep the session cookies the server set (every call may renew them)."""
        fresh = {c.name: c.value for c in response.cookies if c.value}
        if fresh:
            for value in fresh.values():
                self._on_secret(value)
            with self._lock:
                self._cookies.update(fresh)

    def session_lost(self, used_cookie_header: str | None) -> None:
        """The server lost our session: drop it (a signed call opens a new one) or log in again."""
        with self._lock:
            current = "; ".join(f"{k}={v}" for k, v in self._cookies.items()) or None
            if used_cookie_header != current and current is not None:
                return  # another request already renewed it
            self.sessions_lost += 1
            self._cookies.clear()
            if self.mode == p.AUTH_SESSION:
                self._login()

    # ---- ValidateUser (§2a)
    def _login(self) -> None:
        """POST ValidateUser; caller holds the lock."""
        self.logins += 1
        i = self.identity
        if self._login_body_style == "array":
            body: dict = {"parameters": [i.acct_id, i.username, self._password, i.lcid]}
        else:
            body = {"acctID": i.acct_id, "username": i.username, "password": self._password, "lcid": i.lcid}
        try:
            response = self._session.post(self._login_url, json=body, timeout=self._timeout)
        except requests.RequestException as exc:
            msg = f"ValidateUser failed: {type(exc).__name__}"
            raise SourceRetriableError(msg) from None
        if response.status_code == 429 or response.status_code >= 500:
            msg = f"ValidateUser answered HTTP {response.status_code}"
            raise SourceRetriableError(msg, retry_after=parse_retry_after(response.headers))
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if response.status_code != 200 or not isinstance(payload, dict):
            msg = f"ValidateUser answered HTTP {response.status_code} without a login result: check base_url (…/k3cloud/)"
            raise SourceAPIError(msg, code=response.status_code)
        if payload.get("LoginResultType") != p.LOGIN_SUCCESS:
            msg = (
                f"ValidateUser refused the login (LoginResultType {payload.get('LoginResultType')}: "
                f"{payload.get('Message') or 'no message'}): check acct_id (the data-centre id, not its name), "
                "username and password"
            )
            raise SourceAPIError(msg, code=str(payload.get("LoginResultType")))
        cookies = {c.name: c.value for c in response.cookies if c.value}
        session_id = payload.get("KDSVCSessionId")
        if session_id and p.SESSION_COOKIE not in cookies:
            cookies[p.SESSION_COOKIE] = str(session_id)
        if not cookies:
            msg = "ValidateUser succeeded but returned no session cookie; the site's WebAPI version is not supported"
            raise SourceAPIError(msg)
        for value in cookies.values():
            self._on_secret(value)
        self._cookies = cookies
        self.logger.info("Logged in to K3Cloud data centre %s as %s", i.acct_id, i.username)


# --------------------------------------------------------------------------- paging
@dataclass(frozen=True)
class KdPage:
    """One query: the window ``[start, end)`` (epoch seconds) and the last received row's sort key."""

    window_start: int
    window_end: int
    after: tuple[str, int, int] | None = None


class KeysetPaginator(BaseAPIPaginator[KdPage | None]):
    """Walks FModifyDate windows ascending; a full page continues after its last row, a short one ends the window."""

    def __init__(self, windows: Iterable[Window], limit: int) -> None:
        self._windows = iter(windows)
        first = next(self._windows, None)
        super().__init__(None if first is None else KdPage(first.start, first.end))
        if first is None:
            self._finished = True
        self.limit = limit
        self._rows = 0
        self._last: tuple[str, int, int] | None = None
        self.pages = 0
        self.windows_completed = 0

    @property
    def window_is_ending(self) -> bool:
        """The page just received is the window's last (fewer rows than asked for)."""
        return self._rows < self.limit

    def accept_rows(self, rows: Sequence[dict]) -> None:
        self.pages += 1
        self._rows = len(rows)
        if rows:
            last = rows[-1]
            try:
                self._last = (str(last[p.MODIFY_DATE_KEY]), int(last[p.ID_KEY]), int(last[p.ENTRY_ID_KEY]))
            except (KeyError, TypeError, ValueError):
                msg = "ExecuteBillQuery returned a row without FModifyDate / FID / entry id; the tap cannot page past it"
                raise SourceAPIError(msg) from None

    def continue_if_empty(self, response: requests.Response) -> bool:  # noqa: ARG002
        return True  # a page whose rows were all held back (one long bill), or an empty window

    def get_next(self, response: requests.Response) -> KdPage | None:  # noqa: ARG002
        token = self.current_value
        if token is None:
            return None
        if not self.window_is_ending and self._last is not None:
            return KdPage(token.window_start, token.window_end, self._last)
        self.windows_completed += 1
        self._last = None
        window = next(self._windows, None)
        return None if window is None else KdPage(window.start, window.end)


class BillGrouper:
    """Entry rows (header values repeated) → one record per bill, entries under :data:`protocol.ENTRIES_KEY`.

    Header keys come from the bill's first row; an entry keeps its entry keys plus any header key whose value
    differs from the first row's (nothing the server sent is dropped). Rows arrive sorted by bill, so a bill is
    complete when a row of another bill follows, or when the window ends.
    """

    def __init__(self, header_keys: Sequence[str], entry_keys: Sequence[str]) -> None:
        self.header_keys = tuple(header_keys)
        self.entry_keys = tuple(entry_keys)
        self._held: list[dict] = []

    def _bill(self, rows: list[dict]) -> dict:
        first = rows[0]
        record = {k: first.get(k) for k in self.header_keys}
        entries = []
        for row in rows:
            entry = {k: row.get(k) for k in self.entry_keys}
            entry.update({k: row.get(k) for k in self.header_keys if row.get(k) != first.get(k)})
            entries.append(entry)
        record[p.ENTRIES_KEY] = entries
        return record

    def feed(self, rows: Iterable[dict], *, final: bool) -> list[dict]:
        """Bills completed by ``rows``; with ``final`` the held-back bill is complete too."""
        bills: list[dict] = []
        current = self._held
        for row in rows:
            if current and row.get(p.ID_KEY) != current[0].get(p.ID_KEY):
                bills.append(self._bill(current))
                current = []
            current.append(row)
        self._held = current
        if final and self._held:
            bills.append(self._bill(self._held))
            self._held = []
        return bills


# --------------------------------------------------------------------------- stream base
class KingdeeStream(DeferredAuthStream):
    """Base for WebAPI services: JSON POST, ResponseStatus errors, authentication, cookies."""

    @property
    def http_headers(self) -> dict:
        return {"Content-Type": "application/json", "Accept": "application/json"}

    @property
    def session_lost_codes(self) -> frozenset[int]:
        return frozenset(int(c) for c in self.config.get("session_lost_msg_codes", [p.MSG_CONTEXT_LOST]))

    def validate_response(self, response: requests.Response) -> None:
        method = self.api_method
        status = response.status_code
        if status == 429 or status >= 500:
            msg = f"{method}: HTTP {status} {response.reason}"
            raise SourceRetriableError(msg, response, retry_after=parse_retry_after(response.headers), code=status)
        if status not in (200, 206):
            msg = f"{method}: HTTP {status} {response.reason}; check base_url (the site root, e.g. https://host/k3cloud/)"
            raise SourceAPIError(msg, code=status)
        self.authenticator.remember_cookies(response)
        if response.content.lstrip().startswith(b"response_error:"):
            msg = f"{method}: the server answered a response_error body (busy or failing); retrying"
            raise SourceRetriableError(msg, response)
        try:
            payload = exact_json(response)
        except (ValueError, UnicodeDecodeError):
            msg = f"{method}: the body is not complete JSON (a cut response); fetching it again"
            raise SourceRetriableError(msg, response) from None
        error = p.query_error(payload)
        if error is None:
            if not isinstance(payload, list):
                msg = f"{method}: expected an array of rows, got {type(payload).__name__}; retrying"
                raise SourceRetriableError(msg, response)
            return
        self.act_on(response, error, self.errors.judge(error.msg_code))

    @functools.cached_property
    def errors(self) -> ErrorTable:
        """The protocol's table behind the configured session-lost codes."""
        return p.ERRORS.first(Action.REFRESH_TOKEN, self.session_lost_codes)

    token_renewed_note = "session renewed, retrying"

    def token_sent(self, response: requests.Response) -> str | None:  # noqa: PLR6301
        return response.request.headers.get("Cookie") if response.request is not None else None

    def renew_rejected_token(self, rejected: str | None, answer: p.ResponseStatus, method: str) -> None:  # type: ignore[override]  # noqa: ARG002
        self.authenticator.session_lost(rejected)


def local_text(epoch: int, zone: dt.tzinfo) -> str:
    """Epoch seconds → the site's local ``yyyy-MM-dd HH:mm:ss`` (FilterString literal)."""
    return dt.datetime.fromtimestamp(epoch, zone).strftime("%Y-%m-%d %H:%M:%S")

