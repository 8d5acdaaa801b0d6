"""What Kuaidi100 checks and signs (the official java-demo / python-demo): the sandbox's own reading, independent of
the tap's ``protocol`` module, so a wrong pre-hash string on either side shows up as returnCode 503."""

from __future__ import annotations

import hashlib

QUERY_PATH = "/poll/query.do"
SUBSCRIBE_PATH = "/poll"
#: The companies of the bundled channel sandboxes' parcels, by number prefix (longest first wins).
COMPANY_PREFIXES = {
    "SF": "shunfeng", "YT": "yuantong", "JT": "jtexpress", "JDV": "jd", "JD": "jd",
    "73": "zhongtong", "75": "zhongtong", "78": "zhongtong", "43": "yunda", "46": "yunda", "77": "shentong",
}


def _md5_upper(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest().upper()  # noqa: S324 - Kuaidi100's scheme


def query_sign(param: str, key: str, customer: str) -> str:
    """``sign`` of a real-time query: upper-case MD5 of param + key + customer."""
    return _md5_upper(param + key + customer)


def push_sign(param: str, salt: str) -> str:
    """``sign`` of a push to a subscription's callback: upper-case MD5 of param + salt."""
    return _md5_upper(param + salt)


def company_of(number: str) -> str | None:
    matches = [prefix for prefix in COMPANY_PREFIXES if number.startswith(prefix)]
    return COMPANY_PREFIXES[max(matches, key=len)] if matches else None
