"""What a Kingdee K3Cloud WebAPI site checks and answers, from shared/channels/kingdee_k3cloud.md (§1–§5).

The sandbox's own reading of the platform, independent of the tap's ``protocol`` module, so a
wrong signing string on either side shows up as a rejected call (ResponseStatus MsgCode 11).
"""

from __future__ import annotations

import base64
import codecs
import hashlib
import hmac

# §1: services are posted to ``{ServerUrl}{ServiceName}.common.kdsvc``.
EXECUTE_BILL_QUERY = "Kingdee.BOS.WebApi.ServicesStub.DynamicFormService.ExecuteBillQuery"
VALIDATE_USER = "Kingdee.BOS.WebApi.ServicesStub.AuthService.ValidateUser"
FORM_ID = "SAL_SaleOrder"

#: The two ways in (§2): per-request signed headers (§2b) or a ValidateUser session (§2a).
AUTH_SIGNED = "signed_headers"
#: §2a: the session cookie, and ``LoginResultType`` 1 for a successful login.
SESSION_COOKIE = "kdservice-sessionid"
LOGIN_SUCCESS = 1
DEFAULT_LCID = 2052

#: §3: the conflicting page-size limits (10 000 / 2 000): the sandbox holds callers to the lower one.
MAX_LIMIT = 2000

# ResponseStatus.MsgCode: 9 (field missing) is the sheet's example (§3); the others follow the commonly quoted
# WebAPI MsgCode list (context lost, no permission, parameter error, validation failed).
MSG_CONTEXT_LOST, MSG_NO_PERMISSION, MSG_PARAMETER_ERROR, MSG_FIELD_MISSING, MSG_VALIDATION_FAILED = 1, 2, 8, 9, 11

#: §4: the SAL_SaleOrder fields the sandbox's bills carry: header and finance, then the entry lines.
HEADER_FIELD_KEYS = frozenset({
    "FID", "FBillNo", "FDate", "FBillTypeID.FNumber", "FBusinessType", "FSaleOrgId.FNumber", "FCustId.FNumber",
    "FCustId.FName", "FSalerId.FNumber", "FDocumentStatus", "FCloseStatus", "FCancelStatus", "FCreateDate",
    "FModifyDate", "FApproveDate", "FNote", "FSettleCurrId.FNumber", "FExchangeRate", "FIsIncludedTax",
    "FBillAmount", "FBillTaxAmount", "FBillAllAmount",
})
ENTRY_FIELD_KEYS = frozenset({
    "FSaleOrderEntry_FEntryID", "FMaterialId.FNumber", "FMaterialName", "FUnitID.FNumber", "FQty", "FPrice",
    "FTaxPrice", "FTaxRate", "FAmount", "FAllAmount", "FDeliveryDate", "FBaseRemainOutQty",
})
MODIFY_DATE_KEY = "FModifyDate"
#: §3: the one deterministic OrderString the sandbox pages by.
ORDER_STRING = "FModifyDate ASC, FID ASC, FSaleOrderEntry_FEntryID ASC"
#: A customer-specific field for the channel order number (§4: custom ``F_xxx``; the name is this sandbox's).
DEFAULT_REFERENCE_FIELD = "F_ora_ChannelOrderNo"

#: §2b step 1: the path is URL-encoded with ``/`` too; only RFC 3986 unreserved bytes stay as they are.
_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
#: §2b step 3: the XOR seed, kept by the official Python SDK as ROT13 of ``0054s397p6234378o09pn7q3r5qropr7``.
_SECRET_SEED = codecs.decode("0054s397p6234378o09pn7q3r5qropr7", "rot13").encode("ascii")


def service_path(base_path: str, service: str) -> str:
    """§1: the path of one service under the site root (``/k3cloud``)."""
    return base_path.rstrip("/") + "/" + service + ".common.kdsvc"


def app_data(acct_id: str, username: str, lcid: int | str, org_num: int | str) -> str:
    """§2b step 6: ``AcctID,UserName,LCID,OrgNum`` (sent base64-encoded as ``X-Kd-Appdata``)."""
    return ",".join(str(part) for part in (acct_id, username, lcid, org_num))


def _b64_hex_hmac(key: str, message: str) -> str:
    """§2b step 5: base64 of the lower-case *hex text* of HMAC-SHA256, not of the raw digest."""
    hex_text = hmac.new(key.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).hexdigest()
    return base64.b64encode(hex_text.encode("ascii")).decode("ascii")


def client_secret(app_id: str) -> str:
    """§2b step 3: the key X-Api-Signature is made with, decoded from the AppID's part after ``_``.

    A 32-character part is base64-decoded, XORed with the seed's ASCII bytes and base64-encoded again;
    any other part is used as it is.
    """
    part = app_id.split("_", 1)[1] if "_" in app_id else ""
    if len(part) != 32:
        return part
    raw = base64.b64decode(part)
    return base64.b64encode(bytes(byte ^ _SECRET_SEED[i % len(_SECRET_SEED)] for i, byte in enumerate(raw))).decode("ascii")


def expected_api_signature(app_id: str, path: str, timestamp: str, nonce: str) -> str:
    """§2b steps 1, 4, 5: ``X-Api-Signature`` over ``POST``, the fully encoded path, an empty query line,
    then the nonce and timestamp headers, each line ending in ``\\n``."""
    encoded_path = "".join(chr(b) if b in _UNRESERVED else f"%{b:02X}" for b in path.encode("utf-8"))
    return _b64_hex_hmac(client_secret(app_id), f"POST\n{encoded_path}\n\nx-api-nonce:{nonce}\nx-api-timestamp:{timestamp}\n")


def expected_kd_signature(app_id: str, app_secret: str, sent_app_data: str) -> str:
    """§2b step 6: ``X-Kd-Signature`` = the same encoding of HMAC-SHA256(AppSecret, AppID + app_data)."""
    return _b64_hex_hmac(app_secret, app_id + sent_app_data)


def error_payload(msg_code: int, message: str, *, error_code: int = 500) -> list:
    """§3: a failed ExecuteBillQuery, still HTTP 200: ``[[{"Result": {"ResponseStatus": …}}]]``."""
    status = {
        "ErrorCode": error_code,
        "IsSuccess": False,
        "Errors": [{"FieldName": None, "Message": message, "DIndex": 0}],
        "SuccessEntitys": [],
        "SuccessMessages": [],
        "MsgCode": msg_code,
    }
    return [[{"Result": {"ResponseStatus": status}}]]
