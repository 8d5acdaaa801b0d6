"""A local Kingdee K3Cloud site answering the WebAPI the way 星空 does (shared/channels/kingdee_k3cloud.md).

* ``…AuthService.ValidateUser.common.kdsvc``: data-centre id, user, password, lcid (as a JSON object or a
  positional ``parameters`` array, since which one the server expects is unconfirmed) → ``LoginResultType`` 1
  and a ``kdservice-sessionid`` cookie.
* ``…DynamicFormService.ExecuteBillQuery.common.kdsvc`` on ``SAL_SaleOrder``: with a live session cookie, or
  with the SDK's signed headers (verified exactly: X-Api-Signature over the encoded path, nonce and timestamp
  keyed by the decoded client secret; X-Kd-Signature keyed by the AppSecret; the timestamp within
  ``timestamp_tolerance_seconds``), which open a session. FieldKeys must exist (else MsgCode 9 "元数据中标识为…的
  字段不存在", the sheet's real message); ``Limit`` ≤ ``max_limit``;
  FilterString comparisons joined by ``and`` / ``or`` with parentheses; the answer is one positional array per
entry line in FieldKeys order, errors the nested ResponseStatus.

Faults: ``expire_token`` (sessions in use are lost → MsgCode 1 "会话信息已丢失，请重新登录"), ``rate_limit_next``
(HTTP 429 + Retry-After from the site's reverse proxy), ``busy_next`` (a ``response_error:`` body),
``truncate_next``, ``http_503_next``, ``stall_next``, ``forbid_next`` (MsgCode 2, no permission),
``update_during_paging`` (the next N continuation pages first modify an already-served bill).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
import typing as t
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import simplejson

from orderlayer.sandboxes.kit.erp import ErpSandbox
from orderlayer.sandboxes.kit.server import Faults, SandboxRequest, SandboxResponse
from orderlayer.sandboxes.kit.synth import OrderFact
from orderlayer.sandboxes.kingdee import protocol as p
from orderlayer.sandboxes.kingdee.generator import KINGDEE_FORMATS, PII_FIELD_KEYS, bill_rows, local_text

_TOKEN = re.compile(r"\s*(\(|\)|>=|<=|<>|=|>|<|'(?:[^']|'')*'|-?\d+(?:\.\d+)?|[A-Za-z_][A-Za-z0-9_.]*)")
_CHANNEL_NAMES = {"douyin": "抖音", "jd": "京东", "taobao": "淘宝", "pinduoduo": "拼多多", "youzan": "有赞", "meituan": "美团", "eleme": "饿了么", "shopify": "Shopify", "tiktok_shop": "TikTok Shop"}


@dataclass
class KingdeeFaults(Faults):
    #: The next N queries answer MsgCode 2 (the integration user lacks query permission on 销售订单).
    forbid_next: int = 0
    #: The next N keyset continuation queries first modify an already-served bill (as a clerk's edit would).
    update_during_paging: int = 0


class _Reply(Exception):  # noqa: N818 - control flow: an error answer
    def __init__(self, msg_code: int, message: str) -> None:
        super().__init__(message)
        self.msg_code = msg_code
        self.message = message


def _normalise_time(text: str) -> str:
    """FilterString and stored times compare as ``yyyy-MM-dd HH:mm:ss`` (a date alone is midnight)."""
    text = text.strip().replace("T", " ")
    return text + " 00:00:00" if len(text) == 10 else text[:19]


class KingdeeSandbox(ErpSandbox):
    """One K3Cloud site (one data centre) holding the company's sales orders."""

    formats = KINGDEE_FORMATS
    server_name = "kingdee-sandbox"
    faults_class = KingdeeFaults
    faults: KingdeeFaults
    SECRET_CONFIG_KEYS: t.ClassVar[tuple[str, ...]] = ("app_secret", "password", "pii_salt")

    def __init__(
        self,
        seed: int,
        as_of: dt.datetime,
        channel_orders: Iterable[OrderFact],
        *,
        customer_codes: Mapping[tuple[str, str], str] | None = None,
        acct_id: str = "6512345678abcd",
        username: str = "apiuser",
        password: str = "sandbox-Kd-pass",  # noqa: S107 - a sandbox credential
        app_id: str = "224466_AAECAwQFBgcICQoLDA0ODxAREhMUFRYX",
        app_secret: str = "0123456789abcdef0123456789abcdef",
        base_path: str = "/k3cloud",
        site_zone: str = "Asia/Shanghai",
        reference_field: str = p.DEFAULT_REFERENCE_FIELD,
        max_limit: int = p.MAX_LIMIT,
        session_ttl_seconds: int = 1_200,
        timestamp_tolerance_seconds: int = 600,
        retry_after_seconds: float = 1.0,
        host: str = "127.0.0.1",
        port: int = 0,
        wall_clock: t.Callable[[], float] | None = None,
    ) -> None:
        super().__init__(
            seed, as_of, channel_orders, customer_codes=customer_codes, zone=site_zone, host=host, port=port, wall_clock=wall_clock
        )
        self.acct_id = acct_id
        self.username = username
        self.password = password
        self.app_id = app_id
        self.app_secret = app_secret
        self.base_path = base_path.rstrip("/")
        self.reference_field = reference_field
        self.max_limit = max_limit
        self.session_ttl_seconds = session_ttl_seconds
        self.timestamp_tolerance_seconds = timestamp_tolerance_seconds
        self.retry_after_seconds = retry_after_seconds
        self.known_fields = frozenset((*p.HEADER_FIELD_KEYS, *p.ENTRY_FIELD_KEYS, reference_field, *PII_FIELD_KEYS))
        self.customer_names = {
            code: f"{_CHANNEL_NAMES.get(channel, channel)}-{shop_id}" for (channel, shop_id), code in self.erp.customer_codes.items()
        }
        self._sessions: dict[str, float] = {}
        self._issued = 0
        self._bumps: dict[str, int] = {}  # order key -> FModifyDate epoch forced by a fault

    # ------------------------------------------------------------------ public interface
    def expire_tokens(self) -> None:
        with self._lock:
            self._sessions.clear()

    def state(self) -> dict:
        return {**super().state(), "sessions": len(self._sessions)}

    def tap_config(self, *, pii_salt: str = "sandbox-pii-salt", auth_mode: str = p.AUTH_SIGNED, **overrides: t.Any) -> dict:  # noqa: ANN401
        """A complete tap-kingdee config for this site (must be started); times in the site's zone."""
        start = dt.datetime.fromtimestamp(self.start_ts, dt.timezone.utc)
        end = dt.datetime.fromtimestamp(self._now + 1, dt.timezone.utc)
        config: dict[str, t.Any] = {
            "server_url": f"{self.base_url}{self.base_path}/",
            "auth_mode": auth_mode,
            "acct_id": self.acct_id,
            "username": self.username,
            "start_date": start.isoformat(),
            "end_date": end.isoformat(),
            "site_timezone": str(self.zone),
            "reference_field_key": self.reference_field,
            "pii_salt": pii_salt,
        }
        if auth_mode == p.AUTH_SIGNED:
            config.update(app_id=self.app_id, app_secret=self.app_secret)
        else:
            config["password"] = self.password
        config.update(overrides)
        return config

    def rows(self, now: int | None = None) -> list[dict]:
        """Every entry row visible at ``now``, in the query's sort order (FModifyDate, FID, entry)."""
        now = self._now if now is None else now
        out = []
        for order in self.erp.visible_orders(now):
            for row in bill_rows(order, now, zone=self.zone, reference_field=self.reference_field, customer_names=self.customer_names):
                bumped = self._bumps.get(order.key)
                if bumped is not None:
                    row["FModifyDate"] = local_text(bumped, self.zone)
                    row["FNote"] = "已核对"
                out.append(row)
        out.sort(key=lambda r: (r["FModifyDate"], r["FID"], r["FSaleOrderEntry_FEntryID"]))
        return out

    # ------------------------------------------------------------------ protocol
    def handle(self, request: SandboxRequest) -> SandboxResponse:
        login = p.service_path(self.base_path, p.VALIDATE_USER)
        query = p.service_path(self.base_path, p.EXECUTE_BILL_QUERY)
        if request.method != "POST":
            return SandboxResponse(405, b"Method Not Allowed", {"Content-Type": "text/plain"})
        if request.path == login:
            return self._validate_user(request)
        if request.path == query:
            return self._bill_query(request, query)
        self.record({"path": request.path, "outcome": "not_found", "http_status": 404})
        return SandboxResponse(404, b"<html><body>404 Not Found</body></html>", {"Content-Type": "text/html"})

    def _new_session(self) -> str:
        with self._lock:
            self._issued += 1
            session = hashlib.sha256(f"{self.seed}:{self.acct_id}:{self._issued}".encode()).hexdigest()[:32]
            self._sessions[session] = self.wall_time() + self.session_ttl_seconds
        return session

    @staticmethod
    def _cookie(request: SandboxRequest, name: str) -> str | None:
        for part in request.headers.get("cookie", "").split(";"):
            key, _, value = part.strip().partition("=")
            if key == name:
                return value
        return None

    def _validate_user(self, request: SandboxRequest) -> SandboxResponse:
        try:
            body = request.json()
        except ValueError:
            body = {}
        if isinstance(body, dict) and isinstance(body.get("parameters"), list):
            values = [*body["parameters"], None, None, None, None][:4]
        elif isinstance(body, dict):
            lowered = {str(k).lower(): v for k, v in body.items()}
            values = [lowered.get("acctid"), lowered.get("username"), lowered.get("password"), lowered.get("lcid")]
        else:
            values = [None] * 4
        acct, user, password, _lcid = values
        if acct != self.acct_id:
            self.record({"path": request.path, "outcome": "login_bad_acct", "http_status": 200})
            return SandboxResponse(200, {"Message": "数据中心不存在或已停用", "MessageCode": "", "LoginResultType": 0, "KDSVCSessionId": None, "IsSuccessByAPI": False})
        if user != self.username or password != self.password:
            self.record({"path": request.path, "outcome": "login_failed", "http_status": 200})
            return SandboxResponse(200, {"Message": "用户名或密码错误", "MessageCode": "", "LoginResultType": 0, "KDSVCSessionId": None, "IsSuccessByAPI": False})
        session = self._new_session()
        self.record({"path": request.path, "outcome": "login_ok", "http_status": 200})
        return SandboxResponse(
            200,
            {
                "Message": None,
                "MessageCode": "CheckPasswordPolicy",
                "LoginResultType": p.LOGIN_SUCCESS,
                "Context": {"UserName": self.username, "DBid": self.acct_id, "UserLocale": "zh-CN", "LogId": ""},
                "KDSVCSessionId": session,
                "IsSuccessByAPI": True,
            },
            {"Set-Cookie": f"{p.SESSION_COOKIE}={session}; path=/"},
        )

    def _check_signature(self, request: SandboxRequest, path: str) -> None:
        h = request.headers
        if h.get("x-kd-appkey") != self.app_id:
            raise _Reply(p.MSG_VALIDATION_FAILED, "第三方系统登录授权校验失败：X-Kd-Appkey 不存在或已禁用")
        timestamp = h.get("x-api-timestamp", "")
        nonce = h.get("x-api-nonce", "")
        try:
            stamp = int(timestamp)
        except ValueError:
            raise _Reply(p.MSG_VALIDATION_FAILED, "X-Api-TimeStamp is invalid") from None
        if stamp > 10**11:  # a port that sends milliseconds
            stamp //= 1000
        if abs(stamp - self.wall_time()) > self.timestamp_tolerance_seconds:
            raise _Reply(p.MSG_VALIDATION_FAILED, "X-Api-TimeStamp is invalid")
        expected_api = p.expected_api_signature(self.app_id, path, timestamp, nonce)
        if not hmac.compare_digest(h.get("x-api-signature", ""), expected_api):
            raise _Reply(p.MSG_VALIDATION_FAILED, "签名校验失败：X-Api-Signature 不正确")
        expected_data = p.app_data(self.acct_id, self.username, p.DEFAULT_LCID, 0)
        try:
            sent_data = base64.b64decode(h.get("x-kd-appdata", "")).decode("utf-8")
        except ValueError:
            sent_data = ""
        if sent_data.split(",")[:2] != expected_data.split(",")[:2]:
            raise _Reply(p.MSG_VALIDATION_FAILED, "第三方系统登录授权校验失败：数据中心或用户不匹配")
        if not hmac.compare_digest(h.get("x-kd-signature", ""), p.expected_kd_signature(self.app_id, self.app_secret, sent_data)):
            raise _Reply(p.MSG_VALIDATION_FAILED, "签名校验失败：X-Kd-Signature 不正确")

    def _authenticate(self, request: SandboxRequest, path: str) -> str | None:
        """The caller's live session (a new one for a signed call without one); raises _Reply otherwise."""
        session = self._cookie(request, p.SESSION_COOKIE)
        with self._lock:
            if session is not None and self.faults.expire_token:  # one shot: the sessions in use are lost now
                self._sessions.clear()
                self.faults.expire_token = False
        if session is not None:
            with self._lock:
                expiry = self._sessions.get(session)
            if expiry is not None and expiry >= self.wall_time():
                return None
            if "x-kd-appkey" not in request.headers:
                raise _Reply(p.MSG_CONTEXT_LOST, "会话信息已丢失，请重新登录")
        if "x-kd-appkey" in request.headers:
            if session is not None:
                raise _Reply(p.MSG_CONTEXT_LOST, "会话信息已丢失，请重新登录")
            self._check_signature(request, path)
            return self._new_session()
        raise _Reply(p.MSG_CONTEXT_LOST, "会话信息已丢失，请重新登录")

    def _bill_query(self, request: SandboxRequest, path: str) -> SandboxResponse:
        entry: dict[str, t.Any] = {"path": request.path}
        headers: dict[str, str] = {}
        try:
            new_session = self._authenticate(request, path)
            if new_session is not None:
                headers["Set-Cookie"] = f"{p.SESSION_COOKIE}={new_session}; path=/"
                entry["session"] = "opened"
            if self.take_fault("rate_limit_next"):
                self.record({**entry, "outcome": "rate_limited", "http_status": 429})
                return SandboxResponse(429, b"<html><body>429 Too Many Requests</body></html>", {"Content-Type": "text/html", "Retry-After": f"{self.retry_after_seconds:g}"})
            if self.take_fault("busy_next"):
                self.record({**entry, "outcome": "busy", "http_status": 200})
                return SandboxResponse(200, "response_error:服务器繁忙，请稍后再试".encode(), {"Content-Type": "text/plain;charset=utf-8", **headers})
            if self.take_fault("forbid_next"):
                raise _Reply(p.MSG_NO_PERMISSION, f"用户 {self.username} 没有销售订单的查看权限")
            params = self._params(request)
            entry.update(filter=params["FilterString"], start_row=params["StartRow"], limit=params["Limit"])
            rows = self._query(params)
        except _Reply as reply:
            self.record({**entry, "outcome": f"msg_code_{reply.msg_code}", "http_status": 200})
            return SandboxResponse(200, p.error_payload(reply.msg_code, reply.message), headers)
        body = simplejson.dumps(rows, use_decimal=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        self.record({**entry, "outcome": "ok", "http_status": 200, "returned": len(rows)})
        if self.take_fault("truncate_next"):
            body = body[: max(1, len(body) // 2)]
        return SandboxResponse(200, body, {"Content-Type": "application/json;charset=utf-8", **headers})

    def _params(self, request: SandboxRequest) -> dict:
        try:
            body = request.json()
        except ValueError:
            raise _Reply(p.MSG_PARAMETER_ERROR, "请求参数不是有效的JSON") from None
        data = body.get("data") if isinstance(body, dict) else None
        if isinstance(data, str):  # some clients send the parameters as a JSON string
            try:
                data = simplejson.loads(data)
            except ValueError:
                data = None
        if not isinstance(data, dict):
            raise _Reply(p.MSG_PARAMETER_ERROR, "缺少参数 data")
        if data.get("FormId") != p.FORM_ID:
            raise _Reply(p.MSG_FIELD_MISSING, f"表单 {data.get('FormId')} 不存在")
        field_keys = [k.strip() for k in str(data.get("FieldKeys") or "").split(",") if k.strip()]
        if not field_keys:
            raise _Reply(p.MSG_PARAMETER_ERROR, "FieldKeys 不能为空")
        for key in field_keys:
            if key not in self.known_fields:
                raise _Reply(p.MSG_FIELD_MISSING, f"元数据中标识为{key.split('.')[0]}的字段不存在")
        try:
            start_row = int(data.get("StartRow") or 0)
            limit = int(data.get("Limit") or 0)
            top = int(data.get("TopRowCount") or 0)
        except (TypeError, ValueError):
            raise _Reply(p.MSG_PARAMETER_ERROR, "StartRow/Limit/TopRowCount 必须是整数") from None
        if limit <= 0 or limit > self.max_limit:
            raise _Reply(p.MSG_PARAMETER_ERROR, f"Limit 必须在 1 到 {self.max_limit} 之间")
        if str(data.get("OrderString") or "").replace(" ", "").upper() != p.ORDER_STRING.replace(" ", "").upper():
            raise _Reply(p.MSG_PARAMETER_ERROR, f"不支持的排序：{data.get('OrderString')}")
        return {"FieldKeys": field_keys, "FilterString": str(data.get("FilterString") or ""), "StartRow": start_row, "Limit": limit, "TopRowCount": top}

    def _query(self, params: dict) -> list[list]:
        predicate, terms = self._parse_filter(params["FilterString"])
        if any(op == ">" and field == p.MODIFY_DATE_KEY for field, op, _ in terms) and self.take_fault("update_during_paging"):
            self._bump_one(terms)
        selected = [row for row in self.rows() if predicate(row)]
        if params["TopRowCount"]:
            selected = selected[: params["TopRowCount"]]
        page = selected[params["StartRow"] : params["StartRow"] + params["Limit"]]
        return [[row.get(key) for key in params["FieldKeys"]] for row in page]

    def _parse_filter(self, text: str) -> tuple[t.Callable[[dict], bool], list[tuple[str, str, str]]]:
        """FilterString → predicate: comparisons joined by and / or (and binds tighter), parentheses."""
        tokens = _TOKEN.findall(text)
        if "".join(tok for tok in tokens).replace(" ", "") != re.sub(r"\s+", "", text):
            raise _Reply(p.MSG_PARAMETER_ERROR, f"过滤条件语法错误：{text}")
        terms: list[tuple[str, str, str]] = []
        pos = 0

        def peek() -> str | None:
            return tokens[pos].strip() if pos < len(tokens) else None

        def take() -> str:
            nonlocal pos
            if pos >= len(tokens):
                raise _Reply(p.MSG_PARAMETER_ERROR, f"过滤条件不完整：{text}")
            pos += 1
            return tokens[pos - 1].strip()

        def comparison() -> t.Callable[[dict], bool]:
            if peek() == "(":
                take()
                inner = disjunction()
                if take() != ")":
                    raise _Reply(p.MSG_PARAMETER_ERROR, f"括号不匹配：{text}")
                return inner
            field, op, raw = take(), take(), take()
            if field not in self.known_fields:
                raise _Reply(p.MSG_FIELD_MISSING, f"元数据中标识为{field.split('.')[0]}的字段不存在")
            if op not in (">=", "<=", "<>", "=", ">", "<"):
                raise _Reply(p.MSG_PARAMETER_ERROR, f"过滤条件语法错误：{field} {op}")
            value = raw[1:-1].replace("''", "'") if raw.startswith("'") else raw
            terms.append((field, op, value))
            numeric = not raw.startswith("'")
            return lambda row: self._holds(row, field, op, value, numeric=numeric)

        def conjunction() -> t.Callable[[dict], bool]:
            parts = [comparison()]
            while (peek() or "").lower() == "and":
                take()
                parts.append(comparison())
            return lambda row: all(f(row) for f in parts)

        def disjunction() -> t.Callable[[dict], bool]:
            parts = [conjunction()]
            while (peek() or "").lower() == "or":
                take()
                parts.append(conjunction())
            return lambda row: any(f(row) for f in parts)

        if not tokens:
            return (lambda row: True), terms  # noqa: ARG005
        predicate = disjunction()
        if pos != len(tokens):
            raise _Reply(p.MSG_PARAMETER_ERROR, f"过滤条件语法错误：{text}")
        return predicate, terms

    @staticmethod
    def _holds(row: dict, field: str, op: str, value: str, *, numeric: bool = False) -> bool:
        actual = row.get(field)
        left: t.Any
        right: t.Any
        if numeric:
            try:
                left, right = Decimal(str(actual)), Decimal(value)
            except (InvalidOperation, ValueError):
                raise _Reply(p.MSG_PARAMETER_ERROR, f"{field} 不能与 {value} 比较") from None
        elif field.endswith("Date"):
            left, right = (_normalise_time(str(actual)) if actual else ""), _normalise_time(value)
        else:
            left, right = ("" if actual is None else str(actual)), value
        return {
            "=": left == right,
            "<>": left != right,
            ">=": left >= right,
            "<=": left <= right,
            ">": left > right,
            "<": left < right,
        }[op]

    def _bump_one(self, terms: list[tuple[str, str, str]]) -> None:
        """Modify (move to the clock) the earliest bill of the window already served before the continuation point."""
        lower = next((v for f, op, v in terms if f == p.MODIFY_DATE_KEY and op == ">="), None)
        point = next((v for f, op, v in terms if f == p.MODIFY_DATE_KEY and op == ">"), None)
        if lower is None or point is None:
            return
        served = [
            o
            for o in self.erp.visible_orders(self._now)
            if o.key not in self._bumps
            and _normalise_time(lower) <= _normalise_time(local_text(o.updated_at(self._now), self.zone)) <= _normalise_time(point)
        ]
        if served:
            served.sort(key=lambda o: (o.updated_at(self._now), o.seq))
            with self._lock:
                self._bumps[served[0].key] = self._now
