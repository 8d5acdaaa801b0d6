"""What the Ele.me retail gateway (饿百, ``api-be.ele.me``) checks, from shared/channels/meituan_eleme.md §B1–B4.

The sandbox's own reading of the platform, independent of the tap's ``protocol`` module, so a
wrong pre-hash string on either side shows up as a rejected call.

Non-zero ``errno`` values are unconfirmed for the platform (§B3): the ones below are this
sandbox's convention, and the tap's retry list is configurable to match.
"""

from __future__ import annotations

import hashlib
import json
import typing as t

from orderlayer.sandboxes.kit.answers import json_answer

API_VERSION = "3"
CMD_ORDER_LIST, CMD_ORDER_GET, CMD_PART_REFUND_GET = "order.list", "order.get", "order.partrefund.get"

ERRNO_OK = 0
# The sandbox's convention: 1xxxx the caller's fault, 2xxxx worth a retry.
SANDBOX_ERRNO_SIGNATURE, SANDBOX_ERRNO_SOURCE, SANDBOX_ERRNO_TIMESTAMP = 10001, 10002, 10003
SANDBOX_ERRNO_TICKET_REUSED, SANDBOX_ERRNO_TOKEN_EXPIRED, SANDBOX_ERRNO_PERMISSION = 10004, 10005, 10006
SANDBOX_ERRNO_PARAM, SANDBOX_ERRNO_NOT_FOUND = 10007, 10008
SANDBOX_ERRNO_BUSY, SANDBOX_ERRNO_RATE_LIMITED = 20001, 20002

_JAVA_URL_SAFE = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-*_")


def _java_url_encoded(value: str) -> str:
    """``java.net.URLEncoder.encode(value, "UTF-8")``: letters, digits and ``.-*_`` stay, a space
    becomes ``+``, every other UTF-8 byte ``%XX`` (the encoding one client applies, §B2 S15)."""
    out = []
    for byte in value.encode("utf-8"):
        if byte in _JAVA_URL_SAFE:
            out.append(chr(byte))
        elif byte == 0x20:
            out.append("+")
        else:
            out.append(f"%{byte:02X}")
    return "".join(out)


def expected_sign(form: t.Mapping[str, str], secret: str, *, encode_values: bool = False) -> str:
    """§B2: upper-case hex MD5 of ``k=v`` pairs joined by ``&`` in alphabetical key order.

    The pairs are every sent field but ``sign``, plus ``secret`` (which is signed, never needed
    on the wire); ``encode_values`` URL-encodes each value first, as one implementation does.
    """
    fields = {name: value for name, value in form.items() if name != "sign"}
    fields["secret"] = secret
    text = "&".join(f"{name}={_java_url_encoded(fields[name]) if encode_values else fields[name]}" for name in sorted(fields))
    return hashlib.md5(text.encode("utf-8")).hexdigest().upper()  # noqa: S324 - the platform's scheme


def response_envelope(cmd: str, errno: int, error: str, data: t.Any, *, source: str, ticket: str, timestamp: int, secret: str) -> dict:  # noqa: ANN401
    """§B3/B4: ``{"body": {errno, error, data}, "cmd": "resp.<cmd>", encrypt, source, ticket, timestamp, version, sign}``.

    The answer is signed like a request, over the compact JSON of ``body`` (how the platform signs
    answers is unconfirmed; the tap does not check it).
    """
    body = {"errno": errno, "error": error, "data": data}
    head = {"cmd": "resp." + cmd, "encrypt": "", "source": source, "ticket": ticket, "timestamp": timestamp, "version": API_VERSION}
    signed = {name: str(value) for name, value in head.items()}
    signed["body"] = json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str)
    return {"body": body, **head, "sign": expected_sign(signed, secret)}


# --- pushes ---------------------------------------------------------------------------------
#: §B1 (S13, S14, S17): the platform calls the partner's push URL with these commands; the partial-refund command
#: name is this sandbox's own (a receiver treats every command that names an ``order_id`` alike).
PUSH_CREATE, PUSH_STATUS, PUSH_PART_REFUND = "order.create", "order.status.push", "order.partrefund.push"


def push_acknowledged(status: int, body: bytes) -> bool:
    """Delivered when the partner answers HTTP 200 with a ``resp.<cmd>`` envelope whose ``body.errno`` is 0 (push
    handlers answer ``{"errno": 0, "error": "success"}``); anything else is retried."""
    answer = json_answer(status, body)
    inner = answer.get("body") if answer is not None else None
    return isinstance(inner, dict) and str(inner.get("errno")) == "0" and str(answer.get("cmd", "")).startswith("resp.")
