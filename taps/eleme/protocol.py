"""Ele.me retail open platform (饿了么零售 / 饿百, ``api-be.ele.me``) protocol: commands, signing, codes.

Pure standard library, shared by the tap (``client.py``) and the sandbox (fact sheet §B1–B3).

* [C] one gateway, ``POST application/x-www-form-urlencoded`` with system params ``cmd``, ``source``,
  ``ticket`` (upper-case UUID), ``timestamp`` (Unix seconds), ``version`` (3), ``encrypt`` (""),
  ``body`` (the JSON string of the business params) and ``sign``; ``access_token`` when called as an ISV.
  Signature: upper-case hex MD5 of every parameter except ``sign``, plus ``secret``, as ``k=v`` pairs in
  alphabetical order joined by ``&``. Response ``{"body": {"errno", "error", "data"}, "cmd": "resp.<cmd>", …}``,
  ``errno`` 0 = success. Commands ``order.get``, ``order.list``, ``order.partrefund.get``.
* [S] ``order.list`` business params ``shop_id``, ``start_time``, ``end_time`` (Unix seconds), ``page``
  (a public SDK's docstring, ebaipy).
* unconfirmed: whether values are URL-encoded before hashing (one implementation does, Java-style),
  the ``order.list`` answer shape, window and page limits, which time it filters on, the
  ``order.partrefund.get`` answer, and every non-zero ``errno``. The ``SANDBOX_ERRNO_*`` values below
  are this project's sandbox convention, NOT platform values; the tap's retry list is configurable.
"""

from __future__ import annotations

import decimal
import hashlib
import hmac
import json
import typing as t
from urllib.parse import quote_plus

from orderlayer.taps.common.envelope import ErrorTable, fatal

DEFAULT_BASE_URL = "https://api-be.ele.me/"
API_VERSION = "3"
ENCRYPT_NONE = ""

CMD_ORDER_LIST = "order.list"
CMD_ORDER_GET = "order.get"
CMD_PART_REFUND_GET = "order.partrefund.get"

#: Parameters the signer owns (computed per send).
SYSTEM_PARAMS = ("cmd", "source", "ticket", "timestamp", "version", "encrypt", "sign", "access_token", "secret")

ERRNO_OK = 0
# --- sandbox convention (the platform's values are unconfirmed) ------------------------
SANDBOX_ERRNO_SIGNATURE = 10001
SANDBOX_ERRNO_SOURCE = 10002
SANDBOX_ERRNO_TIMESTAMP = 10003
SANDBOX_ERRNO_TICKET_REUSED = 10004
SANDBOX_ERRNO_TOKEN_EXPIRED = 10005
SANDBOX_ERRNO_PERMISSION = 10006
SANDBOX_ERRNO_PARAM = 10007
SANDBOX_ERRNO_NOT_FOUND = 10008
SANDBOX_ERRNO_BUSY = 20001
SANDBOX_ERRNO_RATE_LIMITED = 20002

#: errno values retried with backoff by default (config ``retriable_error_codes`` replaces the list).
DEFAULT_RETRIABLE_ERRNOS: tuple[int, ...] = (SANDBOX_ERRNO_BUSY, SANDBOX_ERRNO_RATE_LIMITED)

#: The fix a non-retriable errno names (sandbox-convention codes, see above).
ERRORS = ErrorTable(
    rules=(
        fatal(
            SANDBOX_ERRNO_SIGNATURE,
            hint=(
                "the request signature was rejected: check secret and source in the tap config; if both are right, "
                "the gateway may hash URL-encoded values: try sign_encode_values=true"
            ),
        ),
        fatal(SANDBOX_ERRNO_SOURCE, hint="the gateway does not know this partner account: check source in the tap config"),
        fatal(
            SANDBOX_ERRNO_TIMESTAMP,
            hint="the gateway rejected the request timestamp: this machine's clock is off; synchronise it (NTP)",
        ),
        fatal(
            SANDBOX_ERRNO_TOKEN_EXPIRED,
            hint=(
                "the access_token was rejected as expired: renew the shop's authorisation and set a new access_token "
                "(this tap does not refresh Ele.me tokens: the refresh flow is unconfirmed)"
            ),
        ),
        fatal(
            SANDBOX_ERRNO_PERMISSION,
            hint=(
                "permission denied: the shop has not authorised this app for order commands, or shop_id is not one of "
                "this partner's shops; check shop_id and the shop's authorisation"
            ),
        ),
        fatal(SANDBOX_ERRNO_PARAM, hint="a request parameter was rejected: lower window_seconds; otherwise report a tap bug"),
    ),
    fallback_hint=(
        "the platform refused the request; if this errno means throttling or a busy system, add it to "
        "retriable_error_codes in the tap config"
    ),
)

#: Order status (fact sheet §B3, S17).
STATUS_AWAITING_CONFIRMATION = 1
STATUS_CONFIRMED = 5
STATUS_RIDER_ACCEPTED = 7
STATUS_DELIVERING = 8
STATUS_COMPLETED = 9
STATUS_CANCELLED = 10
PAY_STATUS_PAID = 2


def java_url_encode(value: str) -> str:
    """``URLEncoder.encode(value, "UTF-8")`` (the encoding implementation S15 applies): space → ``+``,
    ``*`` kept, ``~`` encoded."""
    return quote_plus(value, safe="*").replace("~", "%7E")


def sign_string(params: t.Mapping[str, t.Any], secret: str, *, encode_values: bool = False) -> str:
    """``k=v`` pairs of all params except ``sign``, plus ``secret``, alphabetically, joined by ``&``
    (fact sheet §B2; ``access_token`` sorts first when present)."""
    pairs = {str(k): "" if v is None else str(v) for k, v in params.items() if k != "sign"}
    pairs["secret"] = secret
    items = sorted(pairs.items())
    if encode_values:
        items = [(k, java_url_encode(v)) for k, v in items]
    return "&".join(f"{k}={v}" for k, v in items)


def sign(params: t.Mapping[str, t.Any], secret: str, *, encode_values: bool = False) -> str:
    """``sign`` = upper-case hex MD5 of :func:`sign_string`."""
    text = sign_string(params, secret, encode_values=encode_values)
    return hashlib.md5(text.encode("utf-8")).hexdigest().upper()  # noqa: S324 - the platform's scheme


def encode_body(params: t.Mapping[str, t.Any]) -> str:
    """The ``body`` parameter: compact JSON, non-ASCII kept. The same string is signed and sent."""
    return json.dumps(params, ensure_ascii=False, separators=(",", ":"))


def signed_form(
    cmd: str,
    body: str,
    *,
    source: str,
    secret: str,
    ticket: str,
    timestamp: int | str,
    access_token: str | None = None,
    encode_values: bool = False,
) -> dict[str, str]:
    """Every form field of one call (``secret`` is signed, never sent)."""
    form = {
        "body": body,
        "cmd": cmd,
        "encrypt": ENCRYPT_NONE,
        "source": str(source),
        "ticket": ticket,
        "timestamp": str(timestamp),
        "version": API_VERSION,
    }
    if access_token:
        form["access_token"] = access_token
    form["sign"] = sign(form, secret, encode_values=encode_values)
    return form


def loads(content: bytes | str) -> t.Any:  # noqa: ANN401
    """Decode a response: ints exact (19-digit ids), any non-integer number as an exact Decimal."""
    return json.loads(content, parse_float=decimal.Decimal)




# --- pushes (docs/channels/eleme.md "Push") --------------------------------------------------
# The platform calls the partner's push URL the way the partner calls the gateway (S13, S14, S17 and public push
# handlers): a form with ``cmd`` (``order.create``, ``order.status.push``, …), ``source``, ``ticket``, ``timestamp``,
# ``version``, ``encrypt``, ``body`` (JSON: ``order_id``, and ``status`` for a status push) and ``sign`` by §B2; the
# partner answers with a signed envelope of ``resp.<cmd>`` whose ``body`` is ``{"errno": 0, "error": "success"}``.

PUSH_FIELDS = ("cmd", "source", "ticket", "timestamp", "body", "sign")
PUSH_MISSING = "push without its cmd, source, ticket, timestamp, body or sign field"
PUSH_SOURCE = "push for another source (partner account) than the connection's"
PUSH_SIGNATURE = "push sign does not match: check secret (and sign_encode_values)"
PUSH_STALE = "push timestamp outside push_max_age_seconds of this server's clock"
PUSH_BODY = "push body field is not a JSON object"
PUSH_REFUSALS = (PUSH_MISSING, PUSH_SOURCE, PUSH_SIGNATURE, PUSH_STALE, PUSH_BODY)
#: The errno of a refused push's answer (push handlers answer -1 "check sign failed!").
PUSH_REFUSED_ERRNO = -1


class PushError(ValueError):
    """A push that fails verification; the message is one of ``PUSH_REFUSALS``."""


def verify_push(
    form: t.Mapping[str, str], *, source: str, secret: str, now: float, max_age_seconds: int, encode_values: bool = False
) -> dict[str, t.Any]:
    """The business ``body`` of a push signed by §B2 with the partner's ``secret`` (constant-time) for ``source``,
    whose ``timestamp`` is within ``max_age_seconds`` of ``now`` (0: not checked). Raises PushError."""
    if not all(form.get(name) not in (None, "") for name in PUSH_FIELDS if name != "body") or "body" not in form:
        raise PushError(PUSH_MISSING)
    if not hmac.compare_digest(str(form["source"]).encode(), str(source).encode()):
        raise PushError(PUSH_SOURCE)
    expected = sign({k: v for k, v in form.items() if k != "sign"}, secret, encode_values=encode_values)
    if not hmac.compare_digest(expected.encode(), str(form["sign"]).upper().encode()):
        raise PushError(PUSH_SIGNATURE)
    try:
        stamp = int(form["timestamp"])
    except ValueError:
        raise PushError(PUSH_STALE) from None
    if max_age_seconds and abs(now - stamp) > max_age_seconds:
        raise PushError(PUSH_STALE)
    try:
        body = json.loads(form["body"] or "{}")
    except ValueError:
        raise PushError(PUSH_BODY) from None
    if not isinstance(body, dict):
        raise PushError(PUSH_BODY)
    return body


def push_answer(cmd: str, errno: int, error: str, *, source: str, secret: str, ticket: str, timestamp: int) -> dict:
    """The signed envelope answering a push of ``cmd``: ``resp.<cmd>``, ``body`` ``{errno, error}``, the push's
    ``ticket``, signed by §B2 over the compact JSON of ``body`` (as public push handlers build it)."""
    body = {"errno": errno, "error": error}
    head = {"cmd": "resp." + cmd, "encrypt": ENCRYPT_NONE, "source": source, "ticket": ticket, "timestamp": str(timestamp), "version": API_VERSION}
    signed = sign({**head, "body": encode_body(body)}, secret)
    return {"body": body, **head, "sign": signed}
