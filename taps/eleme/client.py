"""Ele.me retail REST client for singer-sdk: per-send signing, the ``{"body": {errno, error, data}}``
envelope, retries, and the list paginator.

:class:`ElemeSigner` re-signs every HTTP send (singer-sdk applies the authenticator before each try) with
a fresh ``ticket`` and ``timestamp``: a retried call is a new request to the gateway, never a replay.
:class:`ElemeStream.call` is one signed command through singer-sdk's retry loop; the order flow needs
three commands per order (list, detail, partial refunds), which one ``request_records`` loop cannot express.
"""

from __future__ import annotations

import time
import typing as t
import uuid
from urllib.parse import parse_qsl, urlencode

import requests
from singer_sdk.authenticators import APIAuthenticatorBase

from orderlayer.taps.common.errors import SourceAPIError, SourceRetriableError
from orderlayer.taps.common.paging import WindowedPagePaginator
from orderlayer.taps.common.http import Connection
from orderlayer.taps.common.redact import SecretFilter
from orderlayer.taps.common.stream import CallStream
from orderlayer.taps.eleme import protocol as p

if t.TYPE_CHECKING:
    import logging
    from collections.abc import Callable, Mapping

    from singer_sdk.helpers.types import Context

__all__ = ["ElemeConnection", "ElemeListPaginator", "ElemeSigner", "ElemeStream"]

SECRET_FILTER = SecretFilter()


class ElemeSigner(APIAuthenticatorBase):
    """Completes a form request (``cmd`` and ``body`` set by the caller) with ``source``, a new
    ``ticket``, ``timestamp``, ``version``, ``encrypt``, ``access_token`` and ``sign`` (fact sheet §B2)."""

    def __init__(
        self,
        *,
        source: str,
        secret: str,
        access_token: str | None,
        encode_values: bool,
        clock: Callable[[], float] = time.time,
        new_ticket: Callable[[], str] = lambda: str(uuid.uuid4()).upper(),
    ) -> None:
        super().__init__()
        self._source = source
        self._secret = secret
        self._access_token = access_token or None
        self._encode_values = encode_values
        self._clock = clock
        self._new_ticket = new_ticket

    def authenticate_request(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        raw = request.body or ""
        text = raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)
        fields = dict(parse_qsl(text, keep_blank_values=True))
        form = p.signed_form(
            fields.get("cmd", ""),
            fields.get("body", "{}"),
            source=self._source,
            secret=self._secret,
            ticket=self._new_ticket(),
            timestamp=int(self._clock()),
            access_token=self._access_token,
            encode_values=self._encode_values,
        )
        request.prepare_body(urlencode(form), None)
        return request


class ElemeConnection(Connection[ElemeSigner]):
    """What all streams of one tap run share: the per-partner request budget and the signer."""

    platform = "Ele.me"
    default_rate = 10
    default_timeout = 12
    secret_keys = ("secret", "access_token", "pii_salt")
    secret_filter = SECRET_FILTER

    @classmethod
    def authenticator_for(cls, config: Mapping[str, t.Any], session: requests.Session, logger: logging.Logger) -> ElemeSigner:  # noqa: ARG003
        return ElemeSigner(
            source=str(config["source"]),
            secret=str(config["secret"]),
            access_token=config.get("access_token"),
            encode_values=bool(config.get("sign_encode_values", False)),
        )


class ElemeListPaginator(WindowedPagePaginator):
    """The common windowed paginator, told the page count by the answer itself.

    ``order.list`` pages have a platform-chosen size (unconfirmed), so "is there another page" is taken
    from the answer's ``pages`` (falling back to ``total`` and ``page_size``) — a configured page size
    larger than the platform's would otherwise end a window early and drop orders. Records never narrow
    a rescan (``replication_value`` is None): when ``total`` changes mid-window the whole window is read
    again, which is safe whatever order the list is sorted in (duplicates are removed downstream).
    """

    def accept_list_page(self, total: int | None, pages: int | None, records: list[dict]) -> bool:
        if not self.accept_page(total, records):
            return False
        token = self.current_value
        if pages is not None and token is not None:
            self._more = token.page - self.first_page + 1 < pages
        return True


class ElemeStream(CallStream):
    """Base for Ele.me commands: signed form POSTs to one gateway, ``errno`` envelope."""

    default_timeout = 12
    secret_filter = SECRET_FILTER
    errors = p.ERRORS
    default_retriable_codes = p.DEFAULT_RETRIABLE_ERRNOS
    code_label = "errno"

    def __init__(self, tap: t.Any) -> None:  # noqa: ANN401
        super().__init__(tap)
        self._method = p.CMD_ORDER_GET

    @property
    def url_base(self) -> str:
        return str(self.config.get("base_url", p.DEFAULT_BASE_URL))

    @property
    def http_headers(self) -> dict:
        return {"Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded;charset=UTF-8"}

    # ---- one call
    def call(self, cmd: str, params: Mapping[str, t.Any], context: Context | None = None) -> t.Any:  # noqa: ANN401
        """POST command ``cmd`` with business ``params`` (signed per send, retried per policy); ``body.data``."""
        response = self.send_call(cmd, context, method="POST", url=self.url_base, data={"cmd": cmd, "body": p.encode_body(params)})
        return self.payload(response)["body"].get("data")

    # ---- responses
    def validate_response(self, response: requests.Response) -> None:
        cmd = self.api_method
        payload = self.http_answer(response)
        body = payload.get("body") if isinstance(payload, dict) else None
        if not isinstance(body, dict) or "errno" not in body:
            if response.status_code >= 400:
                msg = f"{cmd}: HTTP {response.status_code} {response.reason}; check base_url"
                raise SourceAPIError(msg, code=response.status_code)
            msg = f"{cmd}: response is not an Ele.me envelope (no body.errno)"
            raise SourceRetriableError(msg, response)
        try:
            errno = int(body["errno"])
        except (TypeError, ValueError):
            msg = f"{cmd}: body.errno is not a number ({body['errno']!r})"
            raise SourceRetriableError(msg, response) from None
        if errno != p.ERRNO_OK:
            self.judge_code(response, errno, str(body.get("error") or ""))
        problem = self.data_problem(cmd, body.get("data"))
        if problem:
            msg = f"{cmd}: {problem}"
            raise SourceRetriableError(msg, response)

    def data_problem(self, cmd: str, data: t.Any) -> str | None:  # noqa: ANN401, ARG002, PLR6301
        """Why a successful answer's ``data`` cannot be used (None = fine); checked inside the retry loop."""
        return None
