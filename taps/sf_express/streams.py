"""The ``routes`` stream: ``EXP_RECE_SEARCH_ROUTES`` for every configured waybill.

One record per waybill (``routeResps[]`` entry) exactly as SF sent it — ``mailNo`` and its ``routes`` — with
phone numbers in the route texts masked. A waybill SF knows nothing of yet comes back with no routes and is
emitted too: "no carrier event" is a fact the gate Y9 reads. No bookmark: each sync asks about the waybills the
sync hands over, and the loader stores a version only when the route list changed.
"""

from __future__ import annotations

import importlib.resources
import time
import typing as t
import uuid
from itertools import groupby
from urllib.parse import parse_qsl, urlencode

from singer_sdk import SchemaDirectory, StreamSchema
from singer_sdk.authenticators import APIAuthenticatorBase

from orderlayer.taps.common.errors import SourceAPIError, SourceRetriableError
from orderlayer.taps.common.http import Connection
from orderlayer.taps.common.redact import SecretFilter
from orderlayer.taps.common.stream import CallStream
from orderlayer.taps.common.waybills import batched, read_waybills, scrub_route_text
from orderlayer.taps.sf_express import protocol as p

if t.TYPE_CHECKING:
    import logging
    from collections.abc import Callable, Mapping

    import requests
    from singer_sdk.helpers.types import Context

SCHEMAS = SchemaDirectory(importlib.resources.files("orderlayer.taps.sf_express") / "schemas")
SECRET_FILTER = SecretFilter()
#: Route fields that are free text and may name a courier's phone.
TEXT_FIELDS = ("remark", "acceptAddress", "firstStatusName", "secondaryStatusName")


class SfSigner(APIAuthenticatorBase):
    """Completes each send (the caller sets ``msgData``) with partnerID, a new requestID and timestamp and the
    digest: a retried call is a new request to the gateway, never a replay."""

    def __init__(
        self,
        *,
        partner_id: str,
        checkword: str,
        clock: Callable[[], float] = time.time,
        new_request_id: Callable[[], str] = lambda: uuid.uuid4().hex.upper(),
    ) -> None:
        super().__init__()
        self._partner_id = partner_id
        self._checkword = checkword
        self._clock = clock
        self._new_request_id = new_request_id

    def authenticate_request(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        raw = request.body or ""
        text = raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)
        msg_data = dict(parse_qsl(text, keep_blank_values=True)).get("msgData", "")
        form = p.signed_form(
            partner_id=self._partner_id,
            request_id=self._new_request_id(),
            timestamp=str(int(self._clock())),  # seconds, as the official Python SDK sends
            msg_data=msg_data,
            checkword=self._checkword,
        )
        request.prepare_body(urlencode(form), None)
        return request


class SfConnection(Connection[SfSigner]):
    platform = "SF Express"
    default_rate = 5
    default_timeout = 15
    secret_keys = ("checkword", "pii_salt")
    secret_filter = SECRET_FILTER

    @classmethod
    def authenticator_for(cls, config: Mapping[str, t.Any], session: requests.Session, logger: logging.Logger) -> SfSigner:  # noqa: ARG003
        return SfSigner(partner_id=str(config["partner_id"]), checkword=str(config["checkword"]))


class RoutesStream(CallStream):
    name = "routes"
    path = p.SERVICE_ROUTES
    primary_keys: t.ClassVar[list[str]] = ["mailNo"]
    replication_key = None
    schema = StreamSchema(SCHEMAS)
    secret_filter = SECRET_FILTER
    errors = p.ERRORS
    default_timeout = 15

    @property
    def url_base(self) -> str:
        return str(self.config.get("base_url") or p.DEFAULT_BASE_URL)

    @property
    def http_headers(self) -> dict:
        return {"Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded;charset=UTF-8"}

    def get_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        waybills = read_waybills(self.config)
        size = int(self.config.get("batch_size", p.MAX_BATCH))
        self.logger.info("Querying SF routes of %d waybill(s), %d per call", len(waybills), size)
        # checkPhoneNo is one value per call: waybills are batched among those with the same phone tail
        by_tail = sorted(waybills, key=lambda w: w.phone_tail or "")
        for tail, group in groupby(by_tail, key=lambda w: w.phone_tail or ""):
            for batch in batched(group, size):
                yield from self._query([w.number for w in batch], tail or None, context)

    def _query(self, numbers: list[str], tail: str | None, context: Context | None) -> t.Iterable[dict]:
        data = {"msgData": p.route_query(numbers, tail)}
        response = self.send_call(p.SERVICE_ROUTES, context, method="POST", url=self.url_base, data=data)
        result = p.read_gateway(self.payload(response)).result or {}
        responses = (result.get("msgData") or {}).get("routeResps") or []
        answered = set()
        for entry in responses:
            if isinstance(entry, dict) and entry.get("mailNo"):
                answered.add(str(entry["mailNo"]))
                yield self._scrubbed(entry)
        for number in numbers:  # a waybill SF left out of the answer has no route yet
            if number not in answered:
                yield {"mailNo": number, "routes": []}

    @staticmethod
    def _scrubbed(entry: dict) -> dict:
        routes = [
            {k: scrub_route_text(v) if k in TEXT_FIELDS else v for k, v in route.items()} if isinstance(route, dict) else route
            for route in entry.get("routes") or []
        ]
        return {**entry, "mailNo": str(entry["mailNo"]), "routes": routes}

    def read_answer(self, payload: t.Any) -> p.GatewayAnswer:  # noqa: ANN401
        return p.read_gateway(payload)

    def validate_response(self, response: requests.Response) -> None:
        answer = self.http_answer(response)
        self.act_on(response, answer, self.error_table.judge(answer.code))
        result = answer.result
        if not isinstance(result, dict):
            msg = f"{self.api_method}: apiResultData is not a business answer"
            raise SourceRetriableError(msg, response)
        if result.get("success") is not True or result.get("errorCode") != p.BUSINESS_OK:
            msg = (
                f"{self.api_method} answered errorCode {result.get('errorCode')} ({result.get('errorMsg') or ''}); "
                "check the waybills and checkPhoneNo (phone_tail) for numbers not booked on this partner_id"
            )
            raise SourceAPIError(msg, code=result.get("errorCode"))
        msg_data = result.get("msgData")
        if not isinstance(msg_data, dict) or not isinstance(msg_data.get("routeResps", []), list):
            msg = f"{self.api_method}: msgData has no routeResps list"
            raise SourceRetriableError(msg, response)
