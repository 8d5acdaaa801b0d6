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
from orderlayer.taps.common.http import Connection
from orderlayer.taps.common.redact import SecretFilter
from orderlayer.taps.common.stream import CallStream
from orderlayer.taps.meituan import protocol as p

if t.TYPE_CHECKING:
    import logging
    from collections.abc import Callable, Mapping

    from singer_sdk.helpers.types import Context

__all__ = ["MeituanConnection", "MeituanSecretFilter", "MeituanSigner", "MeituanStream"]


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


class MeituanConnection(Connection[MeituanSigner]):
    """What all streams of one tap run share: the per-app request budget and the signer."""

    platform = "Meituan"
    default_rate = 10
    default_timeout = 12
    secret_keys = ("app_secret", "pii_salt")
    secret_filter = SECRET_FILTER

    @classmethod
    def authenticator_for(cls, config: Mapping[str, t.Any], session: requests.Session, logger: logging.Logger) -> MeituanSigner:  # noqa: ARG003
        return MeituanSigner(
            app_id=str(config["app_id"]),
            secret=str(config["app_secret"]),
            encode_values=bool(config.get("sign_encode_values", False)),
        )


class MeituanStream(CallStream):
    """Base for Meituan endpoints: signed GET calls, ``{"data": …}`` / ``{"error": {code, msg}}`` envelope."""

    default_timeout = 12
    secret_filter = SECRET_FILTER
    errors = p.ERRORS
    default_retriable_codes = p.DEFAULT_RETRIABLE_CODES
    code_label = "error code"

    @property
    def url_base(self) -> str:
        return str(self.config.get("base_url", p.DEFAULT_BASE_URL)).rstrip("/")

    @property
    def http_headers(self) -> dict:
        return {"Accept": "application/json"}

    # ---- one call
    def call(self, path: str, params: Mapping[str, t.Any], context: Context | None = None) -> t.Any:  # noqa: ANN401
        """GET ``path`` with business ``params`` (signed per send, retried per policy); the envelope's ``data``."""
        response = self.send_call(
            path, context, method="GET", url=f"{self.url_base}/{path}", params={k: str(v) for k, v in params.items()}
        )
        return self.payload(response)["data"]

    # ---- responses
    def validate_response(self, response: requests.Response) -> None:
        method = self.api_method
        payload = self.http_answer(response)
        if not isinstance(payload, dict):
            msg = f"{method}: response is not a Meituan envelope (a JSON object with 'data')"
            raise SourceRetriableError(msg, response)
        error = payload.get("error")
        if error:
            code = _as_int(error.get("code") if isinstance(error, dict) else None)
            text = str(error.get("msg") or "") if isinstance(error, dict) else str(error)
            self.judge_code(response, code, text)
        if response.status_code >= 400:
            msg = f"{method}: HTTP {response.status_code} {response.reason}; check base_url"
            raise SourceAPIError(msg, code=response.status_code)
        if "data" not in payload:
            msg = f"{method}: success envelope without 'data'"
            raise SourceRetriableError(msg, response)


def _as_int(value: t.Any) -> int | None:  # noqa: ANN401
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
