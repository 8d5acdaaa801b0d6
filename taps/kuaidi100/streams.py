"""The ``tracking`` stream: Kuaidi100's real-time query for every configured waybill, and (with a
``callback_url``) a subscription per waybill so Kuaidi100 pushes later changes to the receiver.

One record per waybill: the tracking object as Kuaidi100 sent it (``nu``, ``com``, ``state``, ``ischeck``, ``data``:
the whole event history, each event with ``time``, ``context``, ``areaName``, ``status``), phone numbers in the
texts masked. returnCode 500 (no result yet) and 400 (not enough to find it, e.g. a wrong company) land as a
record with no events and the code kept: "no carrier event" is what gate Y9 reads. A waybill whose company is
neither given nor known from its prefix (``carrier_prefixes``) is skipped and counted in the log.
"""

from __future__ import annotations

import importlib.resources
import typing as t
from urllib.parse import parse_qsl, urlencode

from singer_sdk import SchemaDirectory, StreamSchema
from singer_sdk.authenticators import APIAuthenticatorBase

from orderlayer.taps.common.errors import SourceRetriableError
from orderlayer.taps.common.http import Connection
from orderlayer.taps.common.redact import SecretFilter
from orderlayer.taps.common.stream import CallStream
from orderlayer.taps.common.waybills import Waybill, read_waybills, scrub_route_text
from orderlayer.taps.kuaidi100 import protocol as p

if t.TYPE_CHECKING:
    import logging
    from collections.abc import Mapping

    import requests
    from singer_sdk.helpers.types import Context

SCHEMAS = SchemaDirectory(importlib.resources.files("orderlayer.taps.kuaidi100") / "schemas")
SECRET_FILTER = SecretFilter()
EVENT_TEXT_FIELDS = ("context", "location", "areaName")


class Kuaidi100Signer(APIAuthenticatorBase):
    """Signs a real-time query (its form has ``param``): adds ``customer`` and ``sign``. Subscriptions are unsigned."""

    def __init__(self, *, customer: str, key: str) -> None:
        super().__init__()
        self.customer = customer
        self._key = key

    def authenticate_request(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if not str(request.url or "").endswith(p.QUERY_PATH):
            return request
        raw = request.body or ""
        text = raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)
        param = dict(parse_qsl(text, keep_blank_values=True)).get("param", "")
        form = {"customer": self.customer, "param": param, "sign": p.query_sign(param, self._key, self.customer)}
        request.prepare_body(urlencode(form), None)
        return request


class Kuaidi100Connection(Connection[Kuaidi100Signer]):
    platform = "Kuaidi100"
    default_rate = 5
    default_timeout = 15
    secret_keys = ("key", "salt", "pii_salt")
    secret_filter = SECRET_FILTER

    @classmethod
    def authenticator_for(cls, config: Mapping[str, t.Any], session: requests.Session, logger: logging.Logger) -> Kuaidi100Signer:  # noqa: ARG003
        return Kuaidi100Signer(customer=str(config["customer"]), key=str(config["key"]))


def scrub_events(events: t.Any) -> t.Any:  # noqa: ANN401 - whatever the platform sent under data
    """The event history with phone numbers in its texts masked: what the tap lands, for a query and a push alike."""
    if not isinstance(events, list):
        return events
    return [
        {k: scrub_route_text(v) if k in EVENT_TEXT_FIELDS else v for k, v in event.items()} if isinstance(event, dict) else event
        for event in events
    ]


def company_of(waybill: Waybill, prefixes: Mapping[str, str]) -> str | None:
    """The waybill's Kuaidi100 company: the channel's, else the longest configured prefix of its number."""
    if waybill.carrier:
        return waybill.carrier
    matches = [prefix for prefix in prefixes if waybill.number.startswith(prefix)]
    return prefixes[max(matches, key=len)] if matches else None


class TrackingStream(CallStream):
    name = "tracking"
    path = p.QUERY_PATH
    primary_keys: t.ClassVar[list[str]] = ["com", "nu"]
    replication_key = None
    schema = StreamSchema(SCHEMAS)
    secret_filter = SECRET_FILTER
    errors = p.ERRORS
    default_timeout = 15
    code_label = "returnCode"

    @property
    def url_base(self) -> str:
        return str(self.config.get("base_url") or p.DEFAULT_BASE_URL).rstrip("/")

    @property
    def http_headers(self) -> dict:
        return {"Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded;charset=UTF-8"}

    def get_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        prefixes = dict(self.config.get("carrier_prefixes") or {})
        callback = self.config.get("callback_url")
        waybills = read_waybills(self.config)
        unknown = subscribed = 0
        for waybill in waybills:
            company = company_of(waybill, prefixes)
            if company is None:
                unknown += 1
                continue
            if callback and self._subscribe(waybill, company, str(callback), context):
                subscribed += 1
            yield self._query(waybill, company, context)
        self.logger.info(
            "Kuaidi100: %d waybill(s) queried, %d newly subscribed, %d skipped with no company (set carrier_prefixes)",
            len(waybills) - unknown, subscribed, unknown,
        )

    def _query(self, waybill: Waybill, company: str, context: Context | None) -> dict:
        param = p.query_param(waybill.number, company, waybill.phone_tail)
        response = self.send_call(p.QUERY_PATH, context, method="POST", url=self.url_base + p.QUERY_PATH, data={"param": param})
        answer = p.read_answer(self.payload(response))
        if answer.code != "200":  # a per-waybill "nothing yet" (validate_response let only those through)
            return p.tracking_record({"nu": waybill.number, "com": company, "data": [], "returnCode": answer.code, "message": answer.text})
        record = p.tracking_record(answer.body)
        record["data"] = scrub_events(answer.body.get("data") or [])
        return record

    def _subscribe(self, waybill: Waybill, company: str, callback: str, context: Context | None) -> bool:
        """True when Kuaidi100 took a new subscription (False: it already had one)."""
        param = p.subscribe_param(
            waybill.number, company, key=str(self.config["key"]), callback_url=callback,
            salt=self.config.get("salt"), phone_tail=waybill.phone_tail,
        )
        form = {"schema": "json", "param": param}
        response = self.send_call(p.SUBSCRIBE_PATH, context, method="POST", url=self.url_base + p.SUBSCRIBE_PATH, data=form)
        return p.read_answer(self.payload(response)).code == "200"

    def read_answer(self, payload: t.Any) -> p.Answer:  # noqa: ANN401
        return p.read_answer(payload)

    def validate_response(self, response: requests.Response) -> None:
        answer = self.http_answer(response)
        if self.api_method == p.SUBSCRIBE_PATH and answer.code == p.ALREADY_SUBSCRIBED:
            return
        if self.api_method == p.QUERY_PATH and answer.code in p.NO_RESULT_CODES:
            return
        self.act_on(response, answer, self.error_table.judge(answer.code))
        if self.api_method == p.QUERY_PATH and not isinstance(answer.body.get("data", []), list):
            msg = f"{self.api_method}: data is not a list"
            raise SourceRetriableError(msg, response)
