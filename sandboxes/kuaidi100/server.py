"""A local HTTP server that speaks Kuaidi100's tracking API (shared/channels/push-and-logistics.md; the official
java-demo / python-demo).

* ``POST /poll/query.do`` (form ``customer``, ``param``, ``sign``): checks the customer and
  ``sign = upper(md5(param + key + customer))``, then answers the tracking object of ``param.num`` — or
  returnCode 500 (no result yet) for a number it has no route for, 400 when ``param.com`` is not the parcel's
  company. Events in the order ``param.order`` asks (asc / desc, default desc), naive Beijing times.
* ``POST /poll`` (form ``schema=json``, ``param`` with ``company``, ``number``, ``key``, ``parameters.callbackurl``
  / ``salt``): 200 for a new subscription, 501 for one it already has, 600 for a wrong key (the sandbox's
  convention). :meth:`Kuaidi100Sandbox.push_form` is the form Kuaidi100 POSTs to the subscription's callback, signed
  ``upper(md5(param + salt))``, and :meth:`Kuaidi100Sandbox.push` sends it there — the receiver that takes it is
  ``orderlayer serve`` (core/serve.py).

States: 1 picked up (揽收), 0 in transit (在途), 8 customs (清关), 5 out for delivery (派件), 3 signed (签收),
14 refused (拒签), 6 returning (退回), 4 returned and signed by the sender (退签); each event carries its
``status`` text and ``statusCode``. Faults: ``rate_limit_next`` and ``busy_next`` (returnCode 502),
``http_503_next``, ``stall_next``. The log holds the waybills and codes, never the key or a sign.
"""

from __future__ import annotations

import json
import typing as t
import urllib.request
from urllib.parse import parse_qs, urlencode

from orderlayer.sandboxes.kit.parcels import CarrierSandbox, Step, beijing_text
from orderlayer.sandboxes.kit.server import SandboxRequest, SandboxResponse, encode_json
from orderlayer.sandboxes.kuaidi100 import protocol as p

if t.TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Mapping

DEMO_CUSTOMER = "KD100DEMO0000000000000000000001"
DEMO_KEY = "sandboxKuaidi100Key"

#: step kind -> (state code, status text, context template)
RENDER: dict[str, tuple[str, str, str]] = {
    "picked_up": ("1", "揽收", "【{city}】{facility} 已揽收"),
    "departed": ("0", "在途", "快件离开【{facility}】，已发往下一站"),
    "arrived": ("0", "在途", "快件已到达【{facility}】"),
    "customs": ("8", "清关", "快件清关中"),
    "customs_cleared": ("0", "在途", "快件已清关，离开【{facility}】"),
    "out_for_delivery": ("5", "派件", "【{city}】{courier}正在派件（联系电话：{courier_phone}）"),
    "delivered": ("3", "签收", "【{city}】快件已签收，签收人：本人"),
    "refused": ("14", "拒签", "【{city}】收件人拒收"),
    "returning": ("6", "退回", "快件已退回，正在返回寄件人途中"),
    "returned": ("4", "退签", "退回快件已由寄件人签收"),
}
FINAL = frozenset({"delivered", "returned"})


def render(step: Step) -> dict:
    code, text, context = RENDER[step.kind]
    when = beijing_text(step.at)
    return {
        "time": when,
        "ftime": when,
        "context": context.format(city=step.city, facility=step.facility, courier=step.courier, courier_phone=step.courier_phone),
        "areaName": step.city,
        "status": text,
        "statusCode": code,
    }


class Kuaidi100Sandbox(CarrierSandbox):
    server_name = "kuaidi100-sandbox"
    SECRET_CONFIG_KEYS: t.ClassVar[tuple[str, ...]] = ("key", "salt", "pii_salt")

    def __init__(
        self,
        seed: int,
        as_of: dt.datetime,
        parcels: Mapping[str, dt.datetime],
        *,
        customer: str = DEMO_CUSTOMER,
        key: str = DEMO_KEY,
        **server: t.Any,  # noqa: ANN401 - CarrierSandbox's qps / host / port / wall_clock
    ) -> None:
        super().__init__(seed, as_of, parcels, **server)
        self.customer = customer
        self._key = key
        self.companies = {n: p.company_of(n) for n in parcels}
        #: number -> the subscription's parameters (callbackurl, salt)
        self.subscriptions: dict[str, dict] = {}

    def connection(self) -> dict:
        return {"base_url": self.base_url, "customer": self.customer, "key": self._key}

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        form = {k: v[-1] for k, v in parse_qs(request.body.decode("utf-8"), keep_blank_values=True).items()}
        entry: dict[str, t.Any] = {"path": request.path}
        if request.method != "POST" or request.path not in (p.QUERY_PATH, p.SUBSCRIBE_PATH):
            body = _error("404", "unknown path")
        elif self.take_fault("rate_limit_next") or self.take_fault("busy_next") or not self.budget.allows():
            body = _error("502", "服务器繁忙，请稍后再试")
        elif request.path == p.QUERY_PATH:
            body = self._query(form, entry)
        else:
            body = self._subscribe(form, entry)
        entry["return_code"] = str(body.get("returnCode") or body.get("status"))
        self.record(entry)
        return SandboxResponse(200, encode_json(body), {"Content-Type": "application/json;charset=UTF-8"})

    def tracking(self, number: str, *, ascending: bool = False) -> dict | None:
        """The tracking object of ``number`` at the sandbox clock (None: no record of it)."""
        steps = self.steps(number)
        if not steps:
            return None
        events = [render(s) for s in steps]
        last = steps[-1]
        return {
            "message": "ok", "nu": number, "ischeck": "1" if last.kind in FINAL else "0", "condition": "F00",
            "com": self.companies.get(number) or "", "status": "200", "state": RENDER[last.kind][0],
            "data": events if ascending else events[::-1],
        }

    def push_form(self, number: str, *, status: str = "polling", message: str = "") -> dict[str, str]:
        """The form Kuaidi100 would POST to ``number``'s subscription callback: ``param`` and, with a salt, ``sign``."""
        subscription = self.subscriptions[number]
        last = self.tracking(number, ascending=False) or {"nu": number, "com": self.companies.get(number) or "", "data": []}
        param = json.dumps({"status": status, "billstatus": "check", "message": message, "autoCheck": "0",
                            "comOld": "", "comNew": "", "lastResult": last}, ensure_ascii=False, separators=(",", ":"))
        form = {"param": param}
        if subscription.get("salt"):
            form["sign"] = p.push_sign(param, subscription["salt"])
        return form

    def push(self, number: str, *, status: str = "polling", message: str = "") -> dict:
        """POST ``number``'s push to its subscription's callback URL as Kuaidi100 does; returns the receiver's answer
        (Kuaidi100 sends a push again unless the answer is ``result`` true). Logged with the waybill and the
        answer's code, never the sign."""
        form = self.push_form(number, status=status, message=message)
        request = urllib.request.Request(
            self.subscriptions[number]["callbackurl"], data=urlencode(form).encode("utf-8"), method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded;charset=UTF-8"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - the URL the subscriber gave
            answer = json.loads(response.read().decode("utf-8"))
        self.record({"path": "push", "waybill": number, "return_code": str(answer.get("returnCode"))})
        return answer

    def _query(self, form: dict[str, str], entry: dict) -> dict:
        if form.get("customer") != self.customer:
            return _error("400", "customer 不存在")
        param = form.get("param", "")
        if form.get("sign") != p.query_sign(param, self._key, self.customer):
            return _error("503", "验证签名失败")
        try:
            asked = json.loads(param)
            number, company = str(asked["num"]), str(asked["com"])
        except (ValueError, KeyError, TypeError):
            return _error("400", "param 数据不完整")
        entry["waybill"] = number
        if company != self.companies.get(number):
            return _error("400", "找不到对应公司，请确认快递公司编码")
        found = self.tracking(number, ascending=asked.get("order") == "asc")
        return found if found is not None else _error("500", "查询无结果，请隔段时间再查")

    def _subscribe(self, form: dict[str, str], entry: dict) -> dict:
        try:
            asked = json.loads(form.get("param", ""))
            number, key, parameters = str(asked["number"]), asked["key"], asked["parameters"]
            callback = parameters["callbackurl"]
        except (ValueError, KeyError, TypeError):
            return _error("700", "订阅参数不完整")
        if form.get("schema") != "json" or key != self._key:
            return _error("600", "您不是合法的订阅者")
        entry["waybill"] = number
        with self._lock:
            if number in self.subscriptions:
                return _error("501", "重复订阅")
            self.subscriptions[number] = {"callbackurl": callback, "salt": parameters.get("salt")}
        return {"result": True, "returnCode": "200", "message": "提交成功"}


def _error(code: str, message: str) -> dict:
    return {"result": False, "returnCode": code, "message": message}
