"""A local HTTP server that speaks SF's CSIM gateway for the route query (shared/channels/sf_express.md).

It checks what the gateway checks: a form POST with partnerID / requestID / serviceCode / timestamp / msgDigest /
msgData, a known partnerID, the route service, a timestamp (seconds or milliseconds) within
``timestamp_tolerance_seconds`` of the wall clock, a requestID used once, and the digest
(``protocol.expected_digest``: URL-encoding before MD5). The answer is the two-level envelope, with
``apiResultData`` a JSON string. Gateway codes follow SF's common-parameter page [I]; business error codes other
than S0000 are this sandbox's convention (``S_BATCH``: more waybills than ``max_batch``).

Routes come from :mod:`orderlayer.sandboxes.kit.parcels`, rendered with SF's opCodes (50 picked up, 36 left a
facility, 31 arrived, 44 out for delivery, 80 signed, 99 exception, 648/631 returned) and firstStatusName.
No source names SF's customs opCode: customs steps carry the sandbox's own ``611`` and firstStatusName 清关中,
which is what the model reads. ``acceptTime`` is naive Beijing time. Faults: ``rate_limit_next`` (A1005),
``busy_next`` (A1099), ``http_503_next``, ``stall_next``. The request log holds the waybills asked, never a
digest or the checkword.
"""

from __future__ import annotations

import json
import typing as t
from urllib.parse import parse_qs

from orderlayer.sandboxes.kit.parcels import CarrierSandbox, Step, beijing_text
from orderlayer.sandboxes.kit.server import SandboxRequest, SandboxResponse, encode_json
from orderlayer.sandboxes.sf_express import protocol as p

if t.TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Mapping

DEMO_PARTNER = "SFDEMO0001"
DEMO_CHECKWORD = "sandboxCheckword0123456789abcdef"

#: step kind -> (opCode, firstStatusName, remark template)
RENDER: dict[str, tuple[str, str, str]] = {
    "picked_up": ("50", "已揽收", "顺丰速运 已收取快件"),
    "departed": ("36", "运送中", "快件已从【{facility}】发出，准备发往下一站"),
    "arrived": ("31", "运送中", "快件到达【{facility}】"),
    "customs": ("611", "清关中", "快件清关中，请耐心等待"),
    "customs_cleared": ("30", "运送中", "快件已清关，在【{facility}】完成分拣，准备发往下一站"),
    "out_for_delivery": ("44", "派送中", "快件交给{courier}，正在派送途中（联系电话：{courier_phone}）"),
    "delivered": ("80", "已签收", "快件已签收，签收人：本人，感谢使用顺丰，期待再次为您服务"),
    "refused": ("99", "异常", "客户拒收，快件将退回寄件人"),
    "returning": ("648", "退回中", "快件已退回，正在返回寄件人途中"),
    "returned": ("631", "已退回", "快件已退回，寄件人已签收"),
}


def render(step: Step) -> dict:
    op_code, first_status, remark = RENDER[step.kind]
    return {
        "acceptTime": beijing_text(step.at),
        "acceptAddress": step.city,
        "remark": remark.format(facility=step.facility, courier=step.courier, courier_phone=step.courier_phone),
        "opCode": op_code,
        "firstStatusName": first_status,
    }


class _Refusal(Exception):  # noqa: N818 - control flow: a gateway answer that is not success
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class SfExpressSandbox(CarrierSandbox):
    server_name = "sf-express-sandbox"
    SECRET_CONFIG_KEYS: t.ClassVar[tuple[str, ...]] = ("checkword", "pii_salt")

    def __init__(
        self,
        seed: int,
        as_of: dt.datetime,
        parcels: Mapping[str, dt.datetime],
        *,
        partner_id: str = DEMO_PARTNER,
        checkword: str = DEMO_CHECKWORD,
        max_batch: int = p.MAX_BATCH,
        timestamp_tolerance_seconds: int = 600,
        **server: t.Any,  # noqa: ANN401 - CarrierSandbox's qps / host / port / wall_clock
    ) -> None:
        super().__init__(seed, as_of, {n: s for n, s in parcels.items() if n.startswith("SF")}, **server)
        self.partner_id = partner_id
        self._checkword = checkword
        self.max_batch = max_batch
        self.tolerance = timestamp_tolerance_seconds
        self._seen_requests: set[str] = set()

    def connection(self) -> dict:
        """A tap config for this sandbox (the demo puts the checkword in the environment)."""
        return {"base_url": f"{self.base_url}/std/service", "partner_id": self.partner_id, "checkword": self._checkword}

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        entry: dict[str, t.Any] = {"path": request.path}
        try:
            numbers = self._routes(request, entry)
        except _Refusal as refusal:
            entry["api_result_code"] = refusal.code
            self.record(entry)
            return SandboxResponse(200, {"apiErrorMsg": refusal.message, "apiResponseID": self._response_id(),
                                         "apiResultCode": refusal.code, "apiResultData": None})
        entry["api_result_code"] = p.API_OK
        self.record(entry)
        if len(numbers) > self.max_batch:
            business = {"success": False, "errorCode": "S_BATCH", "errorMsg": f"at most {self.max_batch} waybills per call", "msgData": None}
        else:
            resps = [{"mailNo": n, "routes": [render(s) for s in self.steps(n) or []]} for n in numbers]
            business = {"success": True, "errorCode": p.BUSINESS_OK, "errorMsg": None, "msgData": {"routeResps": resps}}
        body = {"apiErrorMsg": "", "apiResponseID": self._response_id(), "apiResultCode": p.API_OK,
                "apiResultData": json.dumps(business, ensure_ascii=False)}
        return SandboxResponse(200, encode_json(body), {"Content-Type": "application/json;charset=UTF-8"})

    def _response_id(self) -> str:
        with self._lock:
            return f"{self.seed:08X}{len(self._log):024X}"

    def _routes(self, request: SandboxRequest, entry: dict) -> list[str]:
        if request.method != "POST" or request.path != "/std/service":
            raise _Refusal("A1001", "POST /std/service expected")
        form = {k: v[-1] for k, v in parse_qs(request.body.decode("utf-8"), keep_blank_values=True).items()}
        missing = [k for k in p.REQUIRED if not form.get(k)]
        if missing:
            raise _Refusal("A1001", f"必传参数不可为空: {', '.join(missing)}")
        if form["partnerID"] != self.partner_id:
            raise _Refusal("A1001", "partnerID unknown")
        if form["serviceCode"] != p.SERVICE_ROUTES:
            raise _Refusal("A1004", "无对应服务权限")
        stamp = int(form["timestamp"]) if form["timestamp"].isdigit() else -1
        stamp = stamp // 1000 if stamp >= 10**11 else stamp
        if abs(stamp - self.wall_time()) > self.tolerance:
            raise _Refusal("A1002", "请求时效已过期")
        if form["msgDigest"] != p.expected_digest(form["msgData"], form["timestamp"], self._checkword):
            raise _Refusal("A1006", "数字签名无效")
        with self._lock:
            if form["requestID"] in self._seen_requests:
                raise _Refusal("A1007", "重复请求")
            self._seen_requests.add(form["requestID"])
        if self.take_fault("rate_limit_next") or not self.budget.allows():
            raise _Refusal("A1005", "流量受控")
        if self.take_fault("busy_next"):
            raise _Refusal("A1099", "系统异常")
        try:
            body = json.loads(form["msgData"])
            numbers = [str(n) for n in body["trackingNumber"]]
        except (ValueError, KeyError, TypeError):
            raise _Refusal("A1001", "msgData is not a route query") from None
        entry["waybills"] = numbers
        entry["check_phone_no"] = bool(body.get("checkPhoneNo"))  # whether it was sent, never the digits
        return numbers
