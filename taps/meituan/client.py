"""Meituan REST client for singer-sdk: per-send signing, the ``{data, error}`` envelope, retries.

:class:`MeituanSigner` re-signs every HTTP send (singer-sdk applies the authenticator before each try),
so a retried call carries a fresh ``timestamp`` and a matching ``sig``. :class:`MeituanStream` maps the
envelope to retry / fatal (``validate_response``) and offers :meth:`MeituanStream.call`, one signed GET
through singer-sdk's retry loop: the order flow needs several endpoints per order (ids by day
sequence, detail, refunds), which a single-endpoint ``request_records`` loop cannot express.
"""

from __future__ import annotations

import re
import time
import typing as t
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
from singer_sdk.authenticators import APIAuthenticatorBase

from orderlayer.taps.common.errors import SourceAPIError, SourceRetriableError
from orderlayer.taps.common.ratelimit import TokenBucket, parse_retry_after
from orderlayer.taps.common.redact import SecretFilter, guard_config_secrets
from orderlayer.taps.common.stream import ResilientStream
from orderlayer.taps.meituan import protocol as p

if t.TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from singer_sdk.helpers.types import Context

__all__ = ["MeituanSecretFilter", "MeituanSigner", "MeituanStream", "fatal_hint"]


#: ``sig=<md5 hex>`` in a URL: a MAC of the secret, masked like ``sign=`` is by the common filter.
_SIG = re.compile(r"((?<![A-Za-z0-9_])sig=)[0-9A-Fa-f]+")


class MeituanSecretFilter(SecretFilter):
    """The common filter plus Meituan's ``sig=`` parameter (the common pattern knows ``sign=``)."""

    def redact(self, text: str) -> str:
        return _SIG.sub(r"\g<1>***", super().redact(text))

    def filter(self, record: t.Any) -> bool:  # noqa: ANN401
        super().filter(record)
        message = record.getMessage()
        cleaned = _SIG.sub(r"\g<1>***", message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


SECRET_FILTER = MeituanSecretFilter()
_FILTERED_LOGGERS = ("urllib3.connectionpool", "backoff", "tap-meituan", "tap-meituan.orders")


class MeituanSigner(APIAuthenticatorBase):
    """Adds ``app_id``, ``timestamp`` and ``sig`` to a GET request's query (fact sheet §A2).

    Idempotent: the previous system parameters are dropped and recomputed for the current clock.
    """

    def __init__(self, *, app_id: str, secret: str, encode_values: bool, clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self._app_id = app_id
        self._secret = secret
        self._encode_values = encode_values
        self._clock = clock

    def authenticate_request(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if not request.url:
            return request
        scheme, netloc, path, query, _fragment = urlsplit(request.url)
        business = {k: v for k, v in parse_qsl(query, keep_blank_values=True) if k not in p.SYSTEM_PARAMS}
        base = urlunsplit((scheme, netloc, path, "", ""))
        params = p.signed_params(
            base,
            business,
            app_id=self._app_id,
            secret=self._secret,
            timestamp=int(self._clock()),
            encode_values=self._encode_values,
        )
        request.url = urlunsplit((scheme, netloc, path, urlencode(params), ""))
        return request


def fatal_hint(code: int) -> str:
    """The likely fix for a non-retriable code, naming the config key."""
    hints = {
        p.CODE_SIGNATURE: (
            "the request signature was rejected: check app_secret (the consumer secret) and app_id in the tap "
            "config; if both are right, the gateway may hash URL-encoded values: try sign_encode_values=true"
        ),
        p.CODE_APP_ID_NOT_FOUND: "Meituan does not know this app: check app_id in the tap config",
        p.CODE_STORE_NOT_FOUND: (
            "no store with this code: check app_poi_code (your app's store code, not Meituan's wm_poi_id) and "
            "that the store is bound to this app"
        ),
        p.CODE_STORE_EXPIRED: (
            "the store's authorisation of the app has expired: renew it in the Meituan developer console, "
            "then run the sync again"
        ),
        p.CODE_MISSING_PARAMS: "a required parameter is missing: check app_poi_code is set; otherwise report a tap bug",
        p.SANDBOX_CODE_TIMESTAMP: "the gateway rejected the request timestamp: this machine's clock is off; synchronise it (NTP)",
        p.SANDBOX_CODE_PARAM_INVALID: "a parameter was rejected: lower day_seq_batch_size; otherwise report a tap bug",
    }
    return hints.get(
        code,
        "the platform refused the request; if the code means throttling or a busy system, add it to "
        "retriable_error_codes in the tap config",
    )


class MeituanStream(ResilientStream):
    """Base for Meituan endpoints: signed GET calls, ``{"data": …}`` / ``{"error": {code, msg}}`` envelope."""

    secret_filter = SECRET_FILTER

    def __init__(self, tap: t.Any) -> None:  # noqa: ANN401
        super().__init__(tap)
        self._bucket: TokenBucket = tap.request_budget
        self.share_budget(self._bucket, filtered_loggers=_FILTERED_LOGGERS)
        self._method = self.path or self.name
        self._send: Callable[..., requests.Response] | None = None
        self._signer = MeituanSigner(
            app_id=str(self.config["app_id"]),
            secret=str(self.config["app_secret"]),
            encode_values=bool(self.config.get("sign_encode_values", False)),
        )
        self.calls: dict[str, int] = {}

    @property
    def url_base(self) -> str:
        return str(self.config.get("base_url", p.DEFAULT_BASE_URL)).rstrip("/")

    @property
    def api_method(self) -> str:
        return self._method

    @property
    def authenticator(self) -> MeituanSigner:
        return self._signer

    @property
    def http_headers(self) -> dict:
        return {"Accept": "application/json"}

    @property
    def timeout(self) -> float:  # type: ignore[override]
        return float(self.config.get("request_timeout", 12))

    @property
    def retriable_codes(self) -> frozenset[int]:
        configured = self.config.get("retriable_error_codes")
        return frozenset(int(c) for c in (p.DEFAULT_RETRIABLE_CODES if configured is None else configured))

    # ---- one call
    def call(self, path: str, params: Mapping[str, t.Any], context: Context | None = None) -> t.Any:  # noqa: ANN401
        """GET ``path`` with business ``params`` (signed per send, retried per policy); the envelope's ``data``."""
        self._method = path
        self.calls[path] = self.calls.get(path, 0) + 1
        prepared = self.build_prepared_request(
            method="GET",
            url=f"{self.url_base}/{path}",
            params={k: str(v) for k, v in params.items()},
            headers=self.http_headers,
        )
        if self._send is None:
            self._send = self.request_decorator(self._request)
        response = self._send(prepared, context)
        return self.payload(response)["data"]

    # ---- responses
    def validate_response(self, response: requests.Response) -> None:
        method = self.api_method
        hint = parse_retry_after(response.headers)
        payload = self.http_answer(response)
        if not isinstance(payload, dict):
            msg = f"{method}: response is not a Meituan envelope (a JSON object with 'data')"
            raise SourceRetriableError(msg, response)
        error = payload.get("error")
        if error:
            code = _as_int(error.get("code") if isinstance(error, dict) else None)
            text = str(error.get("msg") or "") if isinstance(error, dict) else str(error)
            described = f"{method} answered error code {code} ({text})"
            if code is not None and code in self.retriable_codes:
                raise SourceRetriableError(described, response, retry_after=hint, code=code)
            raise SourceAPIError(f"{described}. {fatal_hint(code or 0)}", code=code)
        if response.status_code >= 400:
            msg = f"{method}: HTTP {response.status_code} {response.reason}; check base_url"
            raise SourceAPIError(msg, code=response.status_code)
        if "data" not in payload:
            msg = f"{method}: success envelope without 'data'"
            raise SourceRetriableError(msg, response)

    def get_new_paginator(self) -> None:
        return None

    def parse_response(self, response: requests.Response) -> t.Iterable[dict]:  # noqa: ARG002
        # Records are assembled in get_records from several calls; see OrdersStream.
        return iter(())


def _as_int(value: t.Any) -> int | None:  # noqa: ANN401
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def connection_bucket(config: Mapping[str, t.Any]) -> TokenBucket:
    """The per-app request budget shared by every stream of one tap run."""
    guard_config_secrets(SECRET_FILTER, config, ("app_secret", "pii_salt"), _FILTERED_LOGGERS)
    return TokenBucket(float(config.get("max_requests_per_second", 10)))

