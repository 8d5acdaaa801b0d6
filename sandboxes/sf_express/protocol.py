"""What SF's CSIM gateway checks for the route query (shared/channels/sf_express.md §1–4): the sandbox's own reading,
independent of the tap's ``protocol`` module, so a wrong pre-hash string on either side shows up as A1006."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import quote_plus

SERVICE_ROUTES = "EXP_RECE_SEARCH_ROUTES"
API_OK = "A1000"
BUSINESS_OK = "S0000"
MAX_BATCH = 10
REQUIRED = ("partnerID", "requestID", "serviceCode", "timestamp", "msgDigest", "msgData")


def expected_digest(msg_data: str, timestamp: str, checkword: str) -> str:
    """The official SDK's method: URL-encode (quote_plus) the concatenation, MD5 it, base64 the 16 raw bytes."""
    digest = hashlib.md5(quote_plus(msg_data + timestamp + checkword).encode("utf-8")).digest()  # noqa: S324
    return base64.b64encode(digest).decode("ascii")
