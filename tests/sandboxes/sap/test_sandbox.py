"""The SAP sandbox speaks API_SALES_ORDER_SRV the way the Gateway does (auth, $filter rules, paging, errors)."""

from __future__ import annotations

import json

import requests
from tests.support.erp_tapkit import sap_sandbox  # noqa: F401 - fixture

from orderlayer.taps.sap import protocol as p

FILTER = p.window_filter(1729000000, 1733100000)


def get(sandbox, auth: str | None = None, **params: str) -> requests.Response:
    headers = {"Accept": "application/json"}
    if auth is not False:
        headers["Authorization"] = auth or p.basic_authorization(sandbox.username, sandbox.password)
    query = {"$filter": FILTER, "$orderby": p.ORDER_BY, "$format": "json", **params}
    return requests.get(sandbox.base_url + p.SALES_ORDER_PATH, params=query, headers=headers, timeout=5)


def test_basic_auth_is_checked(sap_sandbox) -> None:
    sandbox = sap_sandbox(30)
    assert get(sandbox).status_code == 200
    wrong = get(sandbox, p.basic_authorization(sandbox.username, "nope"))
    assert wrong.status_code == 401 and "Basic" in wrong.headers["WWW-Authenticate"]
    assert get(sandbox, auth=False).status_code == 401


def test_oauth_token_is_issued_and_expires(sap_sandbox) -> None:
    sandbox = sap_sandbox(30)
    token_url = sandbox.base_url + p.OAUTH_TOKEN_PATH
    bad = requests.post(token_url, data={"grant_type": "client_credentials"}, headers={"Authorization": p.basic_authorization("x", "y")}, timeout=5)
    assert bad.status_code == 401 and bad.json()["error"] == "invalid_client"
    ok = requests.post(token_url, data={"grant_type": "client_credentials"}, headers={"Authorization": p.basic_authorization(sandbox.client_id, sandbox.client_secret)}, timeout=5)
    token = ok.json()["access_token"]
    assert ok.json()["token_type"] == "Bearer"
    assert get(sandbox, f"Bearer {token}").status_code == 200
    sandbox.expire_tokens()
    expired = get(sandbox, f"Bearer {token}")
    assert expired.status_code == 401 and "invalid_token" in expired.headers["WWW-Authenticate"]


def test_entities_carry_the_documented_formats(sap_sandbox) -> None:
    sandbox = sap_sandbox(40)
    body = get(sandbox, **{"$top": "5", "$expand": "to_Item"}).json()
    first = body["d"]["results"][0]
    assert first["__metadata"]["type"] == "API_SALES_ORDER_SRV.A_SalesOrderType"
    assert first["__metadata"]["etag"].startswith("W/\"datetimeoffset'")
    assert p.parse_odata_date(first["CreationDate"]).offset_minutes is None
    assert p.parse_odata_date(first["LastChangeDateTime"]).offset_minutes == 0
    assert isinstance(first["TotalNetAmount"], str) and "." in first["TotalNetAmount"]
    assert first["to_Item"]["results"][0]["SalesOrderItem"] == "10"
    assert "\\/Date(" in get(sandbox, **{"$top": "1"}).text or "/Date(" in get(sandbox, **{"$top": "1"}).text
    # without $expand the navigation is deferred, as OData V2 does
    assert "__deferred" in get(sandbox, **{"$top": "1"}).json()["d"]["results"][0]["to_Item"]


def test_datetime_literal_and_inlinecount_fail_like_the_kbas(sap_sandbox) -> None:
    sandbox = sap_sandbox(20)
    bad = get(sandbox, **{"$filter": "LastChangeDateTime ge datetime'2024-05-01T00:00:00' and LastChangeDateTime lt datetime'2024-06-01T00:00:00'"})
    assert bad.status_code == 400 and "Invalid token" in p.error_text(bad.json())[1]
    count = get(sandbox, **{"$inlinecount": "allpages"})
    assert count.status_code == 500 and "unknown internal server error" in p.error_text(count.json())[1]
    assert get(sandbox, **{"$top": "6000"}).status_code == 400


def test_rows_are_sorted_and_paged_by_top_and_skip(sap_sandbox) -> None:
    sandbox = sap_sandbox(60)
    everything = get(sandbox, **{"$top": "1000"}).json()["d"]["results"]
    keys = [(p.parse_odata_date(r["LastChangeDateTime"]).epoch_ms, r["SalesOrder"]) for r in everything]
    assert keys == sorted(keys) and len(everything) == len(sandbox.erp.visible_orders(sandbox.now_ts))
    page2 = get(sandbox, **{"$top": "7", "$skip": "7"}).json()["d"]["results"]
    assert [r["SalesOrder"] for r in page2] == [r["SalesOrder"] for r in everything[7:14]]


def test_server_driven_paging_answers_next_links(sap_sandbox) -> None:
    sandbox = sap_sandbox(60, server_page_size=10)
    first = get(sandbox, **{"$top": "25"}).json()["d"]
    assert len(first["results"]) == 10 and "$skiptoken=10" in first["__next"]
    second = requests.get(first["__next"], headers={"Authorization": p.basic_authorization(sandbox.username, sandbox.password)}, timeout=5).json()["d"]
    third = requests.get(second["__next"], headers={"Authorization": p.basic_authorization(sandbox.username, sandbox.password)}, timeout=5).json()["d"]
    assert len(second["results"]) == 10 and len(third["results"]) == 5 and "__next" not in third  # $top reached


def test_faults(sap_sandbox) -> None:
    sandbox = sap_sandbox(20)
    sandbox.set_faults(rate_limit_next=1, busy_next=1, forbid_next=1, truncate_next=1, http_503_next=1)
    outage = get(sandbox)
    assert outage.status_code == 503 and outage.headers["Content-Type"].startswith("text/html")
    forbidden = get(sandbox)
    assert forbidden.status_code == 403 and "No authorization" in p.error_text(forbidden.json())[1]
    limited = get(sandbox)
    assert limited.status_code == 429 and float(limited.headers["Retry-After"]) > 0
    busy = get(sandbox)
    assert busy.status_code == 503 and p.error_text(busy.json()) is not None
    cut = get(sandbox)
    assert cut.status_code == 200
    try:
        json.loads(cut.content)
    except ValueError:
        pass
    else:
        raise AssertionError("a truncated page must not be valid JSON")
    assert get(sandbox).status_code == 200


def test_log_never_holds_credentials(sap_sandbox) -> None:
    sandbox = sap_sandbox(10)
    get(sandbox)
    text = json.dumps(sandbox.requests)
    assert sandbox.password not in text and "Basic " not in text
