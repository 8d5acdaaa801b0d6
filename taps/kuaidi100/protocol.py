"""Kuaidi100 facts (shared/channels/push-and-logistics.md; the official java-demo / python-demo), as data and pure
functions the tap, the sandbox and a future push receiver share.

* Real-time query ``POST {base}/poll/query.do``, form ``customer``, ``param`` (JSON), ``sign`` with
  ``sign = upper(md5(param + key + customer))``.
* Subscribe ``POST {base}/poll``, form ``schema=json`` and ``param`` (JSON with ``company``, ``number``, ``key`` and
  ``parameters.callbackurl`` / ``salt`` / ``resultv2``); not signed (the key travels inside ``param``).
* Each push to the callback URL is a form with ``param`` (JSON: the watch ``status`` polling / shutdown / abort, its
  ``message``, and ``lastResult``, the same object a query returns) and ``sign = upper(md5(param + salt))``; the
  receiver answers ``{"result": true, "returnCode": "200", "message": "成功"}``.

``state`` (the parcel's state): 0 in transit, 1 picked up, 2 problem, 3 signed, 4 refused / returned after
signing, 5 out for delivery, 6 returned to sender, 7 forwarded, 8 customs clearance (resultv2 adds sub-states such
as 1001, 501). Times are naive Beijing ``yyyy-MM-dd HH:mm:ss``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import typing as t
from dataclasses import dataclass

from orderlayer.taps.common.envelope import Action, ErrorTable, fatal, rule

if t.TYPE_CHECKING:
    from collections.abc import Mapping

DEFAULT_BASE_URL = "https://poll.kuaidi100.com"
QUERY_PATH = "/poll/query.do"
SUBSCRIBE_PATH = "/poll"
#: The answer a push receiver gives once it has stored a push (Kuaidi100 retries otherwise).
PUSH_ACCEPTED = {"result": True, "returnCode": "200", "message": "成功"}
#: The answer to a push not stored (refused, or storing failed): anything but PUSH_ACCEPTED makes Kuaidi100 send it
#: again (SubscribeResp's result / returnCode / message; the 500 code is our choice, Kuaidi100 reads ``result``).
PUSH_REJECTED = {"result": False, "returnCode": "500", "message": "失败"}
#: Watch statuses of a push: still polling, or polling ended (shutdown: signed / 60 days without change; abort:
#: no record for days, or the company was wrong).
WATCH_STATUSES = ("polling", "shutdown", "abort", "updateall")

#: returnCode of a query or subscribe answer that is not data. 500 (no result yet) and 400 (incomplete data, e.g. a
#: wrong company) are per waybill and become an empty record; 501 on subscribe is "already subscribed".
NO_RESULT_CODES = frozenset({"400", "500"})
ALREADY_SUBSCRIBED = "501"
ERRORS = ErrorTable(
    rules=(
        rule(Action.RETRY, "501", "502"),
        fatal("503", hint="the sign was rejected: check the key credential and customer (the connection's shop_id)"),
        fatal("601", hint="the key has expired or the account has no query balance: renew it in the Kuaidi100 console"),
        fatal("408", hint="the phone check failed: the waybill's phone_tail does not match the parcel"),
    ),
    fallback_hint="see Kuaidi100's returnCode table; check base_url, customer and key",
    ok_codes=frozenset({"200"}),
)


def _md5_upper(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest().upper()  # noqa: S324 - Kuaidi100's scheme


def query_sign(param: str, key: str, customer: str) -> str:
    return _md5_upper(param + key + customer)


def push_sign(param: str, salt: str) -> str:
    return _md5_upper(param + salt)


def query_param(number: str, company: str, phone_tail: str | None = None) -> str:
    """``param`` of a real-time query: ascending event order, region parsing on (resultv2 1)."""
    body: dict[str, str] = {"com": company, "num": number, "resultv2": "1", "show": "0", "order": "asc"}
    if phone_tail:
        body["phone"] = phone_tail
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def subscribe_param(number: str, company: str, *, key: str, callback_url: str, salt: str | None, phone_tail: str | None) -> str:
    parameters: dict[str, str] = {"callbackurl": callback_url, "resultv2": "1"}
    if salt:
        parameters["salt"] = salt
    if phone_tail:
        parameters["phone"] = phone_tail
    return json.dumps({"company": company, "number": number, "key": key, "parameters": parameters},
                      ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class Answer:
    """A Kuaidi100 answer: the tracking object (``status`` "200") or an error (``result`` false, ``returnCode``)."""

    code: str | None
    text: str
    body: dict

    def describe(self, method: str) -> str:
        return f"{method} answered returnCode {self.code} ({self.text})"


def read_answer(payload: t.Any) -> Answer:  # noqa: ANN401
    """The answer of a parsed body; ValueError when it is not one."""
    if not isinstance(payload, dict):
        msg = "not a Kuaidi100 answer"
        raise ValueError(msg)
    if "returnCode" in payload:
        return Answer(str(payload["returnCode"]), str(payload.get("message") or ""), payload)
    if str(payload.get("status")) == "200" and "nu" in payload:
        return Answer("200", str(payload.get("message") or ""), payload)
    msg = "not a Kuaidi100 answer (neither returnCode nor a tracking object)"
    raise ValueError(msg)


class PushError(ValueError):
    """A push that must not be stored: unsigned while a salt is configured, signed wrongly, or malformed."""


def verify_push(form: Mapping[str, str], salt: str | None) -> dict:
    """The tracking record of one callback push (the shape the tap emits: ``lastResult`` plus the watch status),
    after checking its ``sign`` against ``salt``. With a salt, a push without a valid sign raises PushError;
    the comparison is constant-time."""

    param = form.get("param")
    if not param:
        msg = "push without a param field"
        raise PushError(msg)
    if salt:
        sign = form.get("sign") or ""
        if not hmac.compare_digest(sign.upper(), push_sign(param, salt)):
            msg = "push sign does not match the salt: not from Kuaidi100, or the subscription used another salt"
            raise PushError(msg)
    try:
        push = json.loads(param)
    except json.JSONDecodeError:
        msg = "push param is not JSON"
        raise PushError(msg) from None
    last = push.get("lastResult") if isinstance(push, dict) else None
    if not isinstance(last, dict) or not last.get("nu"):
        msg = "push param has no lastResult with a waybill number (nu)"
        raise PushError(msg)
    return tracking_record(last, watch_status=push.get("status"), watch_message=push.get("message"))


def tracking_record(result: Mapping[str, t.Any], *, watch_status: str | None = None, watch_message: str | None = None) -> dict:
    """The record the tap lands for one waybill: the tracking object as sent, ``nu``/``com`` as text, and the
    watch status of a push (None for a query)."""
    record = dict(result)
    record["nu"] = str(result.get("nu") or "")
    record["com"] = str(result.get("com") or "")
    record["watch_status"] = watch_status
    record["watch_message"] = watch_message
    return record
