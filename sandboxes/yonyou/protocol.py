"""What the Yonyou YonBIP / YonSuite open API checks and answers, from shared/channels/yonyou.md §A.

The sandbox's own reading of the platform, independent of the tap's ``protocol`` module, so a
wrong signing string on either side shows up as a refused token request.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import typing as t

#: §A: the self-built app's token call and the sales-order list.
TOKEN_PATH = "/open-auth/selfAppAuth/getAccessToken"
SALES_ORDER_LIST_PATH = "/yonbip/sd/voucherorder/list"

#: §A: ``code`` of a granted token and of a list answer (strings; errors answer "999").
TOKEN_OK, LIST_OK = "00000", "200"
#: §A: a token lasts two hours (有效期为2小时).
TOKEN_TTL_SECONDS = 2 * 3600

#: The largest page the sandbox serves (the list API's maximum is not documented; the sheet's example asks 500).
MAX_PAGE_SIZE = 500
#: Where the sandbox's sales orders keep the channel order number (the sheet names no field).
DEFAULT_REFERENCE_FIELD = "srcBillNO"


def expected_signature(query: t.Mapping[str, str], app_secret: str) -> str:
    """§A: base64 of HmacSHA256 keyed by the appSecret over ``name + value`` of every query parameter
    but ``signature``, sorted by name. This is the decoded form: on the wire it is URL-encoded."""
    text = "".join(name + query[name] for name in sorted(query) if name != "signature")
    return base64.b64encode(hmac.new(app_secret.encode("utf-8"), text.encode("utf-8"), hashlib.sha256).digest()).decode("ascii")
