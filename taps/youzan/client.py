"""youzanyun REST client for singer-sdk: token, envelopes, retries and window paging.

* :class:`TokenManager` obtains the shop's access token from ``/auth/token`` (the self-use app's "silent" grant:
  client_id + client_secret + kdt_id) when the config has none, renews it when the gateway says it expired or
  does not exist (4202/4203), and proactively shortly before a known expiry.
* :class:`YouzanAuthenticator` puts the current token in the query string of every send (the only place the
  gateway reads it), so a retry after a renewal carries the new token.
* :class:`YouzanStream` maps the three answer shapes to retry / renew / fatal (``validate_response``) on top of
  :class:`~orderlayer.taps.common.stream.ResilientStream`.
* :class:`WindowPlan` + :class:`YouzanWindowPaginator` walk ``update_time`` windows page by page and split a
  window whose orders exceed what ``page_no <= 100`` x ``page_size`` can reach.
"""

from __future__ import annotations

import collections
import json
import logging
import threading
import time
import typing as t
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
from singer_sdk.authenticators import APIAuthenticatorBase

from orderlayer.taps.common.envelope import Action
from orderlayer.taps.common.errors import SourceAPIError, SourceRetriableError
from orderlayer.taps.common.http import Connection
from orderlayer.taps.common.paging import WindowedPagePaginator
from orderlayer.taps.common.ratelimit import parse_retry_after
from orderlayer.taps.common.redact import SecretFilter
from orderlayer.taps.common.stream import ResilientStream
from orderlayer.taps.common.windows import Window
from orderlayer.taps.youzan import protocol as p

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

__all__ = [
    "SECRET_FILTER",
    "TokenManager",
    "WindowPlan",
    "YouzanAuthenticator",
    "YouzanConnection",
    "YouzanStream",
    "YouzanWindowPaginator",
]

#: One process-wide filter: youzan secrets (and tokens as they are issued) never reach a log line.
SECRET_FILTER = SecretFilter()
#: A token obtained this recently and rejected again is not renewed a second time (the cause is elsewhere).
_RENEW_GRACE_SECONDS = 60.0


# --------------------------------------------------------------------------- token
class TokenManager:
    """The shop's access token: obtained, renewed and shared by every stream of one tap run."""

    def __init__(
        self,
        *,
        base_url: str,
        client_id: str,
        client_secret: str,
        kdt_id: str,
        access_token: str | None,
        renew_margin_seconds: float,
        timeout: float,
        session: requests.Session,
        logger: logging.Logger,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._url = base_url.rstrip("/") + p.TOKEN_PATH
        self._client_id = client_id
        self._client_secret = client_secret
        self._kdt_id = kdt_id
        self._token = access_token or None
        self._expires_at: float | None = None  # unknown for a token taken from the config
        self._renew_margin = renew_margin_seconds
        self._timeout = timeout
        self._session = session
        self._clock = clock
        self._lock = threading.Lock()
        self._obtained_at: float | None = None
        self.grants = 0
        self.logger = logger

    def token(self) -> str:
        """The token to send now, obtaining one first if there is none or it is about to expire."""
        with self._lock:
            now = self._clock()
            expiring = self._expires_at is not None and now >= self._expires_at - self._renew_margin
            # a token issued moments ago is used even if short-lived: re-asking at once would only loop
            fresh = self._obtained_at is not None and now - self._obtained_at < _RENEW_GRACE_SECONDS
            if self._token is None or (expiring and not fresh):
                self._obtain(refresh=self._token is not None)
            return self._token  # type: ignore[return-value]

    def renew_after_rejection(self, rejected: str | None, answer: p.Answer, method: str) -> None:
        """After 4202/4203: renew once, or fail clearly when renewing cannot be the fix."""
        with self._lock:
            if rejected is not None and rejected != self._token:
                return  # that request carried an older token; it was renewed meanwhile
            if self._obtained_at is not None and self._clock() - self._obtained_at < _RENEW_GRACE_SECONDS:
                msg = (
                    f"{answer.describe(method)} right after a new token was issued: the token is not accepted for "
                    "this shop; check that 'kdt_id' is the shop that authorized 'client_id' in the youzanyun console"
                )
                raise SourceAPIError(msg, code=answer.code, request_id=answer.trace_id)
            self.logger.warning("%s; requesting a new access token", answer.describe(method))
            self._obtain(refresh=True)

    def _obtain(self, *, refresh: bool) -> None:
        body = p.silent_grant_body(self._client_id, self._client_secret, self._kdt_id, refresh=refresh)
        try:
            response = self._session.post(
                self._url,
                data=json.dumps(body).encode("utf-8"),
                headers={"Content-Type": "application/json;charset=UTF-8"},
                timeout=self._timeout,
            )
        except requests.exceptions.RequestException as exc:
            msg = f"auth.token: {SECRET_FILTER.redact(f'{type(exc).__name__}: {exc}')}"
            raise SourceRetriableError(msg) from None
        if response.status_code == 429 or response.status_code >= 500:
            msg = f"auth.token: HTTP {response.status_code} while obtaining the access token"
            raise SourceRetriableError(msg, response, retry_after=parse_retry_after(response.headers))
        try:
            payload = response.json()
            answer = p.Answer.from_payload(payload)
        except ValueError:
            msg = f"auth.token: HTTP {response.status_code} with a body that is not a youzanyun answer; check base_url"
            raise SourceAPIError(msg) from None
        if not answer.ok:
            msg = f"obtaining the access token failed: {answer.describe('auth.token')}. {p.TOKEN_ERRORS.hint(answer.code)}"
            raise SourceAPIError(msg, code=answer.code, request_id=answer.trace_id)
        try:
            grant = p.TokenGrant.from_data(answer.data)
        except ValueError as exc:
            raise SourceAPIError(f"auth.token: {exc}; re-authorize the shop for this app") from None
        SECRET_FILTER.add(grant.access_token)
        self._token = grant.access_token
        self._expires_at = grant.expires_at
        self._obtained_at = self._clock()
        self.grants += 1
        expires = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(grant.expires_at)) if grant.expires_at else "unknown"
        self.logger.info("Obtained a youzanyun access token for shop %s (expires %s)", self._kdt_id, expires)


class YouzanAuthenticator(APIAuthenticatorBase):
    """Sets ``access_token`` in the query string on every send (singer-sdk re-applies it before each retry)."""

    def __init__(self, tokens: TokenManager) -> None:
        super().__init__()
        self.tokens = tokens

    def authenticate_request(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if not request.url:
            return request
        scheme, netloc, path, query, fragment = urlsplit(request.url)
        kept = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k != "access_token"]
        kept.append(("access_token", self.tokens.token()))
        request.url = urlunsplit((scheme, netloc, path, urlencode(kept), fragment))
        return request


class YouzanConnection(Connection[TokenManager]):
    """What all streams of one tap run share: the request budget and the token (its ``authenticator`` is the
    :class:`TokenManager`; each stream wraps it in a :class:`YouzanAuthenticator`)."""

    platform = "youzanyun"
    default_rate = 5
    secret_keys = ("client_secret", "access_token", "pii_salt")
    secret_filter = SECRET_FILTER

    @property
    def tokens(self) -> TokenManager:
        return self.authenticator

    @classmethod
    def authenticator_for(cls, config: Mapping[str, t.Any], session: requests.Session, logger: logging.Logger) -> TokenManager:
        return TokenManager(
            base_url=str(config.get("base_url", p.DEFAULT_BASE_URL)),
            client_id=str(config["client_id"]),
            client_secret=str(config["client_secret"]),
            kdt_id=str(config["kdt_id"]),
            access_token=config.get("access_token"),
            renew_margin_seconds=float(config.get("token_renew_margin_seconds", 600)),
            timeout=float(config.get("request_timeout", 15)),
            session=session,
            logger=logger,
        )


# --------------------------------------------------------------------------- paging
class WindowPlan:
    """The query windows still to read, in ascending order; a too-dense window is replaced by its halves."""

    def __init__(self, windows: Iterable[Window]) -> None:
        self._pending: collections.deque[Window] = collections.deque(windows)
        self.splits = 0

    def __iter__(self) -> WindowPlan:
        return self

    def __next__(self) -> Window:
        if not self._pending:
            raise StopIteration
        return self._pending.popleft()

    def __len__(self) -> int:
        return len(self._pending)

    def split_ahead(self, window: Window) -> None:
        """Read ``window`` again as two halves, before anything else (they share the middle second)."""
        if window.seconds <= 1:
            msg = f"cannot split the one-second window [{window.start}, {window.end}]"
            raise ValueError(msg)
        middle = window.start + window.seconds // 2
        self._pending.appendleft(Window(middle, window.end))
        self._pending.appendleft(Window(window.start, middle))
        self.splits += 1


class YouzanWindowPaginator(WindowedPagePaginator):
    """``page_no`` from 1 through a :class:`WindowPlan`; ``abandon_window`` moves on to the plan's next window."""

    def __init__(self, plan: WindowPlan, page_size: int, *, logger: logging.Logger | None = None) -> None:
        # Pages of a window are buffered and sorted before they are emitted, so a rescan restarts at the
        # window start: no record carries a narrower restart point (replication_value -> None).
        super().__init__(plan, page_size, replication_value=lambda _record: None, first_page=p.FIRST_PAGE, logger=logger)
        self.plan = plan

    def abandon_window(self) -> None:
        """End the current window without reading further pages (it was split into halves ahead)."""
        self.accept_page(0, [])  # a total of 0 tells the base class this window has nothing more to read


# --------------------------------------------------------------------------- stream base
class YouzanStream(ResilientStream):
    """Base for youzanyun APIs: POST with a JSON body, token in the query, three answer shapes."""

    default_timeout = 15
    secret_filter = SECRET_FILTER
    source_zone = p.SOURCE_ZONE
    payload_as_json = False  # prepare_request_payload returns the exact JSON bytes
    api_name: str = ""

    def __init__(self, tap: t.Any) -> None:  # noqa: ANN401
        super().__init__(tap, http_method="POST")
        self._connection: YouzanConnection = tap.connection
        self._authenticator = YouzanAuthenticator(self._connection.tokens)
        self.share_budget(self._connection.bucket)

    @property
    def url_base(self) -> str:
        return str(self.config.get("base_url", p.DEFAULT_BASE_URL)).rstrip("/")

    @property
    def path(self) -> str:  # type: ignore[override]
        return p.api_path(self.api_name, str(self.config.get("api_version", p.DEFAULT_API_VERSION)))

    @property
    def api_method(self) -> str:
        return self.api_name

    @property
    def http_headers(self) -> dict:
        return {"Content-Type": "application/json;charset=UTF-8", "Accept": "application/json"}

    @property
    def authenticator(self) -> YouzanAuthenticator:
        return self._authenticator

    def get_url_params(self, context: t.Any, next_page_token: t.Any) -> dict[str, t.Any]:  # noqa: ANN401, ARG002
        return {}  # the token is added per send by the authenticator

    # ---- answers
    answer_noun = "a youzanyun answer (cut short?)"

    def read_answer(self, payload: t.Any) -> p.Answer:  # noqa: ANN401, PLR6301
        return p.Answer.from_payload(payload)

    def answer(self, response: requests.Response) -> p.Answer:
        return p.Answer.from_payload(self.payload(response))

    token_renewed_note = "new access token obtained, retrying"

    def token_sent(self, response: requests.Response) -> str | None:  # noqa: PLR6301
        return dict(parse_qsl(urlsplit(response.request.url or "").query)).get("access_token")

    def renew_rejected_token(self, rejected: str | None, answer: p.Answer, method: str) -> None:  # type: ignore[override]
        self._connection.tokens.renew_after_rejection(rejected, answer, method)

    def validate_response(self, response: requests.Response) -> None:
        answer = self.http_answer(response)
        verdict = p.judge(answer)
        if verdict.action is Action.OK:
            problem = self.data_problem(answer.data, response)
            if problem:
                # inside the retry loop: a truncated or malformed page is fetched again
                raise SourceRetriableError(f"{self.api_method}: {problem} [trace_id {answer.trace_id}]", response)
        self.act_on(response, answer, verdict)

    def data_problem(self, data: t.Any, response: requests.Response) -> str | None:  # noqa: ANN401, ARG002
        """Why a successful answer's ``data`` cannot be used (None = fine). Per API."""
        return None if isinstance(data, dict) else "success without a data object"

    @staticmethod
    def request_params(response: requests.Response) -> dict:
        """The business parameters the answered request carried (its JSON body)."""
        body = response.request.body if response.request is not None else None
        try:
            params = json.loads(body or b"{}")
        except ValueError:
            return {}
        return params if isinstance(params, dict) else {}
