"""Shopify Admin REST client for singer-sdk: token header, client-credentials renewal, leaky-bucket pacing,
HTTP status -> retry / renew / fatal, Link-header cursor paging.

Layout (MeltanoLabs style): :class:`ShopifyAuthenticator` puts the current access token on every send and
renews it through the client credentials grant when one is configured; :class:`CallLimitAdapter` paces
every HTTP send against the shop's leaky bucket (our own request budget plus the
``X-Shopify-Shop-Api-Call-Limit`` the shop reports); :class:`ShopifyStream` maps HTTP statuses to
:mod:`orderlayer.taps.common.errors` and parses bodies losslessly (``Decimal`` for non-integer numbers).
"""

from __future__ import annotations

import logging
import threading
import time
import typing as t

import requests
from singer_sdk.authenticators import APIAuthenticatorBase
from singer_sdk.pagination import HeaderLinkPaginator

from orderlayer.taps.common.errors import SourceAPIError, SourceRetriableError, TokenRefreshedError
from orderlayer.taps.common.http import Connection, RateLimitedAdapter
from orderlayer.taps.common.ratelimit import TokenBucket, parse_retry_after
from orderlayer.taps.common.redact import SecretFilter, install_secret_filter
from orderlayer.taps.common.stream import ResilientStream
from orderlayer.taps.shopify import protocol as p

if t.TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from urllib.parse import ParseResult

__all__ = [
    "CallLimitAdapter",
    "CallLimitPacer",
    "LinkPaginator",
    "ShopifyAuthenticator",
    "ShopifyConnection",
    "ShopifyStream",
    "fatal_hint",
]

#: One process-wide filter: records from urllib3/backoff/our loggers lose secret values.
SECRET_FILTER = SecretFilter()


def fatal_hint(status: int, shop: str, api_version: str) -> str:
    """What to fix after a non-retriable HTTP status (:data:`protocol.STATUS_ERRORS`), naming config keys."""
    return p.STATUS_ERRORS.hint(status, shop=shop, domain=p.shop_domain(shop), api_version=api_version)


# --------------------------------------------------------------------------- auth
class ShopifyAuthenticator(APIAuthenticatorBase):
    """Sets ``X-Shopify-Access-Token`` on every send, renewing it when the shop rejects it.

    A custom app's Admin API token is static: a rejection is fatal. With ``client_id`` and
    ``client_secret`` the tap uses the client credentials grant (tokens last 24 h): it obtains a token
    when none is configured and renews it once per rejected token.
    """

    def __init__(
        self,
        *,
        base_url: str,
        access_token: str | None,
        client_id: str | None,
        client_secret: str | None,
        timeout: float,
        session: requests.Session,
        logger: logging.Logger,
    ) -> None:
        super().__init__()
        self._token_url = base_url.rstrip("/") + p.TOKEN_PATH
        self._access_token = access_token or None
        self._client_id = client_id or None
        self._client_secret = client_secret or None
        self._timeout = timeout
        self._session = session
        self._lock = threading.Lock()
        self.renewals = 0
        self.logger = logger

    @property
    def can_renew(self) -> bool:
        return bool(self._client_id and self._client_secret)

    @property
    def access_token(self) -> str | None:
        return self._access_token

    def authenticate_request(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if request.url and request.url.endswith(p.TOKEN_PATH):
            return request  # the token call authenticates with the client credentials in its body
        with self._lock:
            if self._access_token is None:
                self._obtain_token()
            request.headers[p.ACCESS_TOKEN_HEADER] = t.cast("str", self._access_token)
        return request

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        return self.authenticate_request(request)

    def renew_after_rejection(self, rejected: str | None) -> bool:
        """After a 401: True when a new token is in place (retry now), False when renewing is impossible."""
        if not self.can_renew:
            return False
        with self._lock:
            if rejected is not None and rejected != self._access_token:
                return True  # another request already renewed it
            self._obtain_token()
            return True

    def _obtain_token(self) -> None:
        if not self.can_renew:
            msg = "config needs access_token, or client_id and client_secret to obtain one"
            raise SourceAPIError(msg)
        try:
            response = self._session.post(
                self._token_url,
                data={
                    "grant_type": p.GRANT_CLIENT_CREDENTIALS,
                    "client_id": self._client_id,
                    "client_secret": self._client_secret,
                },
                headers={"Accept": "application/json"},
                timeout=self._timeout,
            )
        except requests.RequestException as exc:
            msg = f"access token request failed: {SECRET_FILTER.redact(type(exc).__name__ + ': ' + str(exc))}"
            raise SourceRetriableError(msg) from None
        if response.status_code == 429 or response.status_code >= 500:
            msg = f"access token request: HTTP {response.status_code}"
            raise SourceRetriableError(msg, response, retry_after=parse_retry_after(response.headers))
        if response.status_code != 200:
            msg = (
                f"the client credentials grant was refused (HTTP {response.status_code}: "
                f"{SECRET_FILTER.redact(p.error_text(response.content))}); check client_id and client_secret belong "
                "to an app of your organisation installed on this shop"
            )
            raise SourceAPIError(msg, code=response.status_code)
        try:
            token = str(response.json()["access_token"])
        except (ValueError, KeyError, TypeError):
            msg = "access token response has no access_token"
            raise SourceRetriableError(msg, response) from None
        SECRET_FILTER.add(token)
        self._access_token = token
        self.renewals += 1
        self.logger.info("Obtained a Shopify access token through the client credentials grant")


# --------------------------------------------------------------------------- pacing
class CallLimitPacer:
    """Keeps a reserve in the shop's leaky bucket, from the ``X-Shopify-Shop-Api-Call-Limit`` it reports.

    Other apps' calls do not count against ours (the bucket is per app and store), but our own parallel
    syncs and retries do: when fewer than ``reserve`` slots are free, the next send waits until the bucket
    has leaked that much (``leak_per_second``).
    """

    def __init__(
        self,
        *,
        reserve: int,
        leak_per_second: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.reserve = reserve
        self.leak_per_second = leak_per_second
        self._clock = clock
        self._sleep = sleep
        self._not_before = 0.0
        self._lock = threading.Lock()
        self.last: p.CallLimit | None = None
        self.waited_seconds = 0.0

    def observe(self, header: str | None) -> None:
        limit = p.parse_call_limit(header)
        if limit is None:
            return
        with self._lock:
            self.last = limit
            short = self.reserve - limit.free
            if short > 0:
                self._not_before = max(self._not_before, self._clock() + short / self.leak_per_second)

    def wait(self) -> float:
        with self._lock:
            delay = self._not_before - self._clock()
        if delay > 0:
            self._sleep(delay)
            self.waited_seconds += delay
            return delay
        return 0.0


class CallLimitAdapter(RateLimitedAdapter):
    """Our request budget (token bucket) plus the shop's reported bucket level, on every HTTP send."""

    def __init__(self, bucket: TokenBucket, pacer: CallLimitPacer, **kwargs: t.Any) -> None:  # noqa: ANN401
        self.pacer = pacer
        super().__init__(bucket, **kwargs)

    def send(self, request: requests.PreparedRequest, *args: t.Any, **kwargs: t.Any) -> requests.Response:  # type: ignore[override]  # noqa: ANN401
        self.pacer.wait()
        response = super().send(request, *args, **kwargs)
        self.pacer.observe(response.headers.get(p.CALL_LIMIT_HEADER))
        return response


def mount_call_limit(session: requests.Session, bucket: TokenBucket, pacer: CallLimitPacer) -> requests.Session:
    adapter = CallLimitAdapter(bucket, pacer)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


# --------------------------------------------------------------------------- shared per tap
class ShopifyConnection(Connection[ShopifyAuthenticator]):
    """What all streams of one tap share: the request budget, the pacer (in the session's adapter), the token."""

    platform = "Shopify"
    default_rate = p.STANDARD_LEAK_PER_SECOND
    secret_keys = ("access_token", "client_secret", "pii_salt")
    secret_filter = SECRET_FILTER

    @classmethod
    def paced(cls, config: Mapping[str, t.Any]) -> tuple[TokenBucket, requests.Session]:
        rate = float(config.get("max_requests_per_second", cls.default_rate))
        bucket = TokenBucket(rate, float(config.get("burst_requests", p.STANDARD_BUCKET_SIZE // 2)))
        pacer = CallLimitPacer(reserve=int(config.get("call_limit_reserve", 4)), leak_per_second=rate)
        return bucket, mount_call_limit(requests.Session(), bucket, pacer)

    @classmethod
    def authenticator_for(cls, config: Mapping[str, t.Any], session: requests.Session, logger: logging.Logger) -> ShopifyAuthenticator:
        return ShopifyAuthenticator(
            base_url=base_url_of(config),
            access_token=config.get("access_token"),
            client_id=config.get("client_id"),
            client_secret=config.get("client_secret"),
            timeout=cls.timeout(config),
            session=session,
            logger=logger,
        )

    @property
    def pacer(self) -> CallLimitPacer:
        """The shop's leaky-bucket pacer every stream's session shares."""
        return t.cast("CallLimitAdapter", self.session.get_adapter("https://")).pacer


def base_url_of(config: Mapping[str, t.Any]) -> str:
    """``base_url`` (``{shop}`` is replaced by the shop's subdomain), default ``https://{shop}.myshopify.com``."""
    shop = str(config["shop_id"])
    template = str(config.get("base_url") or p.default_base_url("{shop}"))
    return template.replace("{shop}", shop).rstrip("/")


# --------------------------------------------------------------------------- paging
class LinkPaginator(HeaderLinkPaginator):
    """singer-sdk's ``Link: <...>; rel="next"`` paginator; the token is the parsed next URL."""

    def get_next_url(self, response: requests.Response) -> str | None:
        # requests' own parser needs quoted rel values; Shopify's documentation shows both forms.
        return p.parse_link_header(response.headers.get("Link")).get("next")

    def continue_if_empty(self, response: requests.Response) -> bool:
        # An empty page that still links onward is not the end.
        return self.get_next_url(response) is not None


def page_params(token: ParseResult | None) -> dict[str, str] | None:
    """The query of the next page: ``page_info`` exactly as given, plus ``limit``/``fields`` only."""
    if token is None:
        return None
    return p.cursor_params(token.geturl())


# --------------------------------------------------------------------------- stream base
class ShopifyStream(ResilientStream):
    """Base for Shopify REST endpoints: token header, leaky-bucket pacing, status mapping, lossless JSON."""

    default_timeout = 30
    secret_filter = SECRET_FILTER
    source_zone = "UTC"  # Shopify never sends naive times; bookmarks are stored in UTC

    def __init__(self, tap: t.Any) -> None:  # noqa: ANN401
        super().__init__(tap)
        self._connection: ShopifyConnection = tap.connection
        mount_call_limit(self.requests_session, self._connection.bucket, self._connection.pacer)
        install_secret_filter(self.secret_filter, (self.logger.name,))
        self._version_warned = False

    @property
    def url_base(self) -> str:
        return base_url_of(self.config)

    @property
    def api_version(self) -> str:
        return str(self.config.get("api_version", p.DEFAULT_API_VERSION))

    @property
    def shop(self) -> str:
        return str(self.config["shop_id"])

    @property
    def http_headers(self) -> dict:
        return {"Accept": "application/json"}

    @property
    def authenticator(self) -> ShopifyAuthenticator:
        return self._connection.authenticator

    # ---- responses (the body is parsed once by ResilientStream.payload: exact ints, Decimal for the rest)
    def validate_response(self, response: requests.Response) -> None:
        status = response.status_code
        request_id = response.headers.get(p.REQUEST_ID_HEADER)
        where = f"{self.api_method}: HTTP {status} {response.reason}"
        if request_id:
            where += f" [request id {request_id}]"
        if status == 429 or status >= 500:
            limit = p.parse_call_limit(response.headers.get(p.CALL_LIMIT_HEADER))
            detail = f" (call limit {limit})" if limit else ""
            raise SourceRetriableError(f"{where}{detail}", response, retry_after=parse_retry_after(response.headers), code=status)
        if status == 401:
            rejected = response.request.headers.get(p.ACCESS_TOKEN_HEADER) if response.request else None
            if self.authenticator.renew_after_rejection(rejected):
                msg = f"{where}; access token renewed through the client credentials grant, retrying"
                raise TokenRefreshedError(msg, response)
        if status >= 400:
            detail = self.redact(p.error_text(response.content))
            msg = f"{where}: {detail}. {fatal_hint(status, self.shop, self.api_version)}"
            raise SourceAPIError(msg, code=status, request_id=request_id)
        try:
            body = self.payload(response)
        except ValueError:
            # A page cut short in transit: fetch it again (inside the retry loop).
            msg = f"{where} with a body that is not complete JSON (truncated page)"
            raise SourceRetriableError(msg, response) from None
        problem = self.body_problem(body)
        if problem:
            msg = f"{where}: {problem}"
            raise SourceRetriableError(msg, response)
        self._check_version(response)

    def _check_version(self, response: requests.Response) -> None:
        served = response.headers.get(p.API_VERSION_HEADER)
        if served and served != self.api_version and not self._version_warned:
            self._version_warned = True
            self.logger.warning(
                "Shopify served API version %s instead of the requested %s (no longer supported, so the oldest "
                "supported version answers); set api_version to a supported release",
                served,
                self.api_version,
            )

    def body_problem(self, body: t.Any) -> str | None:  # noqa: ANN401, ARG002, PLR6301
        """Why a 200 body cannot be used (None = fine). Per endpoint."""
        return None
