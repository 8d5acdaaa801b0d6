"""Kingdee K3Cloud (金蝶云星空) WebAPI protocol pieces shared by the tap and its sandbox.

Pure standard library (fact sheet shared/channels/kingdee_k3cloud.md): service paths, the per-request signed
headers of the official SDK (§2b, reproduced byte for byte by the sheet's vectors), the session login (§2a),
``ExecuteBillQuery`` field keys for ``SAL_SaleOrder`` declared once (§4), the array-of-arrays answer and its
``ResponseStatus`` error shape (§3), and the FilterString the tap sends.
"""

from __future__ import annotations

import base64
import codecs
import hashlib
import hmac
import typing as t
from dataclasses import dataclass
from urllib.parse import quote

from orderlayer.taps.common.envelope import Action, ErrorTable, fatal, rule

SERVICE_SUFFIX = ".common.kdsvc"
EXECUTE_BILL_QUERY = "Kingdee.BOS.WebApi.ServicesStub.DynamicFormService.ExecuteBillQuery"
VALIDATE_USER = "Kingdee.BOS.WebApi.ServicesStub.AuthService.ValidateUser"
FORM_ID = "SAL_SaleOrder"
DEFAULT_LCID = 2052
#: Page size: one doc copy says max 10 000, an SDK summary 2 000 (sheet §3, conflicting): stay at 2 000.
MAX_LIMIT = 2000

AUTH_SIGNED = "signed_headers"
AUTH_SESSION = "validate_user"
AUTH_MODES = (AUTH_SIGNED, AUTH_SESSION)

#: Session cookie the server returns; the SDK sends it back on later calls.
SESSION_COOKIE = "kdservice-sessionid"
LOGIN_SUCCESS = 1  # LoginResultType (public clients treat 1 as success)

#: XOR seed of DecodeAppSecret, stored ROT13-encoded in the official Python SDK (sheet §2b step 3).
_XOR_SEED_ROT13 = "0054s397p6234378o09pn7q3r5qropr7"
XOR_SEED = codecs.encode(_XOR_SEED_ROT13, "rot13")

# ResponseStatus.MsgCode values the tap acts on. 9 ("field does not exist") is the sheet's example; 1 (context /
# session lost) and 2 (no permission) follow the WebAPI MsgCode list as commonly quoted — unconfirmed, so the
# tap's session_lost_msg_codes config can change which codes mean "log in again".
MSG_CONTEXT_LOST = 1
MSG_NO_PERMISSION = 2
MSG_EXCEPTION = 4
MSG_PARAMETER_ERROR = 8
MSG_FIELD_MISSING = 9
MSG_VALIDATION_FAILED = 11

#: What to do about a ``ResponseStatus`` by ``MsgCode``, with the fix a fatal one names (the session-lost codes are
#: configurable, ``session_lost_msg_codes``, and go first). A server-side exception (a lock or timeout on the
#: customer's database) is transient.
ERRORS = ErrorTable(
    rules=(
        rule(Action.RETRY, MSG_EXCEPTION),
        fatal(
            MSG_NO_PERMISSION,
            hint="The integration user lacks permission to view 销售订单 (SAL_SaleOrder): grant it to the user in config key 'username'",
        ),
        fatal(
            MSG_FIELD_MISSING,
            hint="A field key does not exist on this site: check reference_field_key and extra_field_keys (custom F_ fields differ per site)",
        ),
        fatal(
            MSG_VALIDATION_FAILED,
            hint=(
                "The signed login was refused: check app_id and app_secret (第三方系统登录授权), acct_id (data-centre id) and "
                "username, and that this machine's clock is right"
            ),
        ),
        fatal(MSG_PARAMETER_ERROR, hint="A query parameter was refused: check page_size (<= 2000) and filter_extra"),
    ),
    fallback_hint="The site refused the query; see the message above",
)

# ---- SAL_SaleOrder field keys, declared once: the query asks for them in this order and each answer row is
# mapped back to names by the same order. Header keys repeat on every entry row.
HEADER_FIELD_KEYS: tuple[str, ...] = (
    "FID",
    "FBillNo",
    "FDate",
    "FBillTypeID.FNumber",
    "FBusinessType",
    "FSaleOrgId.FNumber",
    "FCustId.FNumber",
    "FCustId.FName",
    "FSalerId.FNumber",
    "FDocumentStatus",
    "FCloseStatus",
    "FCancelStatus",
    "FCreateDate",
    "FModifyDate",
    "FApproveDate",
    "FNote",
    "FSettleCurrId.FNumber",
    "FExchangeRate",
    "FIsIncludedTax",
    "FBillAmount",
    "FBillTaxAmount",
    "FBillAllAmount",
)
ENTRY_FIELD_KEYS: tuple[str, ...] = (
    "FSaleOrderEntry_FEntryID",
    "FMaterialId.FNumber",
    "FMaterialName",
    "FUnitID.FNumber",
    "FQty",
    "FPrice",
    "FTaxPrice",
    "FTaxRate",
    "FAmount",
    "FAllAmount",
    "FDeliveryDate",
    "FBaseRemainOutQty",
)
ID_KEY = "FID"
ENTRY_ID_KEY = "FSaleOrderEntry_FEntryID"
MODIFY_DATE_KEY = "FModifyDate"
#: Where the grouped record keeps its entry rows.
ENTRIES_KEY = "FSaleOrderEntry"
#: Customer-specific field holding the channel order number (sheet §4: custom F_xxx, name unconfirmed).
DEFAULT_REFERENCE_FIELD = "F_ora_ChannelOrderNo"
#: Deterministic order: modify time, bill, entry (sheet §3).
ORDER_STRING = "FModifyDate ASC, FID ASC, FSaleOrderEntry_FEntryID ASC"


def service_path(base_path: str, service: str) -> str:
    """``/k3cloud/<service>.common.kdsvc`` for a site whose root path is ``base_path`` (``/k3cloud``)."""
    return f"{base_path.rstrip('/')}/{service}{SERVICE_SUFFIX}"


# --------------------------------------------------------------------------- signed headers (§2b)
def decode_app_secret(part2: str, seed: str = XOR_SEED) -> str:
    """DecodeAppSecret: base64-decode the AppID's second part, XOR with the seed's ASCII bytes, base64 again.

    A part that is not 32 characters is used unchanged (SDKs differ here; unchanged keeps it usable).
    """
    if len(part2) != 32:
        return part2
    raw = base64.b64decode(part2)
    key = seed.encode("ascii")
    return base64.b64encode(bytes(b ^ key[i % len(key)] for i, b in enumerate(raw))).decode("ascii")


def client_credentials(app_id: str) -> tuple[str, str]:
    """``(client_id, client_sec)`` from an AppID shaped ``<clientId>_<32-char base64>``."""
    client_id, sep, part2 = app_id.partition("_")
    if not sep or not client_id:
        msg = "app_id must look like <clientId>_<secret part> (as shown in the third-party login authorisation)"
        raise ValueError(msg)
    return client_id, decode_app_secret(part2)


def encode_path(path: str) -> str:
    """UTF-8 URL-encode the path, ``/`` included, upper-case hex (``%2F``)."""
    return quote(path, safe="")


def hmac_hex_b64(key: str, message: str) -> str:
    """base64 of the *lower-case hex* HMAC-SHA256 (not of the raw digest), as every Kingdee SDK does."""
    digest = hmac.new(key.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).hexdigest()
    return base64.b64encode(digest.encode("ascii")).decode("ascii")


def api_sign_string(path: str, timestamp: str, nonce: str) -> str:
    """The string X-Api-Signature signs: method, encoded path, an empty query line, nonce, timestamp."""
    return f"POST\n{encode_path(path)}\n\nx-api-nonce:{nonce}\nx-api-timestamp:{timestamp}\n"


def app_data(acct_id: str, username: str, lcid: int | str = DEFAULT_LCID, org_num: int | str = 0) -> str:
    return f"{acct_id},{username},{lcid},{org_num}"


@dataclass(frozen=True)
class SigningIdentity:
    """What signs a request: the third-party login authorisation plus the data centre and user."""

    app_id: str
    app_secret: str
    acct_id: str
    username: str
    lcid: int = DEFAULT_LCID
    org_num: int | str = 0


def signed_headers(identity: SigningIdentity, path: str, timestamp: str, nonce: str | None = None) -> dict[str, str]:
    """Every header of one signed call (sheet §2b step 7); ``nonce`` defaults to the timestamp (Python SDK)."""
    nonce = timestamp if nonce is None else nonce
    client_id, client_sec = client_credentials(identity.app_id)
    data = app_data(identity.acct_id, identity.username, identity.lcid, identity.org_num)
    return {
        "X-Api-ClientID": client_id,
        "X-Api-Auth-Version": "2.0",
        "x-api-timestamp": timestamp,
        "x-api-nonce": nonce,
        "x-api-signheaders": "x-api-timestamp,x-api-nonce",
        "X-Api-Signature": hmac_hex_b64(client_sec, api_sign_string(path, timestamp, nonce)),
        "X-Kd-Appkey": identity.app_id,
        "X-Kd-Appdata": base64.b64encode(data.encode("utf-8")).decode("ascii"),
        "X-Kd-Signature": hmac_hex_b64(identity.app_secret, identity.app_id + data),
    }


# --------------------------------------------------------------------------- ExecuteBillQuery (§3)
def local_literal(text: str) -> str:
    """A FilterString literal (``'2024-05-01 12:00:00'``); quotes doubled so a value can never end the literal."""
    return "'" + text.replace("'", "''") + "'"


def modify_window_filter(start_local: str, end_local: str, extra: str | None = None) -> str:
    """``FModifyDate >= 'start' and FModifyDate < 'end'`` (server-local times), plus an optional extra clause."""
    clause = f"{MODIFY_DATE_KEY} >= {local_literal(start_local)} and {MODIFY_DATE_KEY} < {local_literal(end_local)}"
    return f"{clause} and ({extra})" if extra else clause


def keyset_filter(window_start: str, window_end: str, after: tuple[str, int, int] | None, extra: str | None = None) -> str:
    """The rows of ``[window_start, window_end)`` (server-local FModifyDate) that sort after ``after``.

    ``after`` is the last received row's (FModifyDate, FID, entry id); rows sort by that triple
    (:data:`ORDER_STRING`), so the next page starts exactly behind it whatever changed meanwhile (an offset would
    shift when a bill already read is modified and leaves the window). If the server keeps sub-second times that
    it does not show, the ``=`` branch matches nothing and the ``>`` branch re-reads that second: duplicates,
    never a gap.
    """
    clause = modify_window_filter(window_start, window_end, extra)
    if after is None:
        return clause
    modified, fid, entry = after
    literal = local_literal(modified)
    return (
        f"{clause} and ({MODIFY_DATE_KEY} > {literal} or ({MODIFY_DATE_KEY} = {literal} and "
        f"({ID_KEY} > {int(fid)} or ({ID_KEY} = {int(fid)} and {ENTRY_ID_KEY} > {int(entry)}))))"
    )


def bill_query_body(field_keys: t.Sequence[str], filter_string: str, start_row: int, limit: int) -> dict:
    """The raw HTTP body of ExecuteBillQuery: the SDK's parameters wrapped in ``{"data": …}``."""
    return {
        "data": {
            "FormId": FORM_ID,
            "FieldKeys": ",".join(field_keys),
            "FilterString": filter_string,
            "OrderString": ORDER_STRING,
            "TopRowCount": 0,
            "StartRow": start_row,
            "Limit": limit,
            "SubSystemId": "",
        }
    }


@dataclass(frozen=True)
class ResponseStatus:
    """The error object a failed call returns (inside ``[[{"Result": {"ResponseStatus": …}}]]`` for queries)."""

    error_code: int | None
    msg_code: int | None
    messages: tuple[str, ...]

    @property
    def code(self) -> int | None:
        """What decides the action (:data:`ERRORS`): the ``MsgCode``."""
        return self.msg_code

    def describe(self, method: str = "") -> str:
        text = "; ".join(m for m in self.messages if m) or "no message"
        where = f"{method}: " if method else ""
        return f"{where}ResponseStatus ErrorCode {self.error_code}, MsgCode {self.msg_code}: {text}"


def _status_of(obj: object) -> ResponseStatus | None:
    if not isinstance(obj, dict):
        return None
    result = obj.get("Result")
    status = result.get("ResponseStatus") if isinstance(result, dict) else None
    if not isinstance(status, dict) or status.get("IsSuccess") is not False:
        return None
    errors = status.get("Errors") or []
    messages = tuple(str(e.get("Message") or "") for e in errors if isinstance(e, dict))

    def as_int(value: object) -> int | None:
        try:
            return int(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return None

    return ResponseStatus(as_int(status.get("ErrorCode")), as_int(status.get("MsgCode")), messages)


def query_error(payload: object) -> ResponseStatus | None:
    """The failure of an ExecuteBillQuery answer (row 0, cell 0 is a ResponseStatus object), or None."""
    if isinstance(payload, dict):  # some versions answer the bare Result object
        return _status_of(payload)
    if isinstance(payload, list) and payload and isinstance(payload[0], list) and payload[0]:
        return _status_of(payload[0][0])
    return None


def rows_to_records(field_keys: t.Sequence[str], rows: t.Sequence[t.Sequence[t.Any]]) -> list[dict]:
    """Name each positional row by ``field_keys`` (the order the query asked for)."""
    out = []
    for n, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != len(field_keys):
            got = len(row) if isinstance(row, list) else type(row).__name__
            msg = f"row {n} has {got} values for {len(field_keys)} FieldKeys"
            raise ValueError(msg)
        out.append(dict(zip(field_keys, row, strict=True)))
    return out
