"""The Yonyou sandbox answers like the YonBIP gateway: signed token requests, token codes, the list API."""

from __future__ import annotations

import json
import time

import pytest
import requests
from tests.support.erp_tapkit import yonyou_sandbox  # noqa: F401 - fixture

from orderlayer.taps.yonyou import protocol as p


def token(sandbox, *, secret: str | None = None, timestamp_ms: int | None = None) -> dict:
    ts = timestamp_ms if timestamp_ms is not None else int(time.time() * 1000)
    url = f"{sandbox.base_url}{p.TOKEN_PATH}?{p.token_query(sandbox.app_key, secret or sandbox.app_secret, ts)}"
    return requests.get(url, timeout=5).json()


def list_page(sandbox, access_token: str, **overrides) -> requests.Response:
    body = {**p.list_body(1, 500, "pubts", "2000-01-01 00:00:00", "2100-01-01 00:00:00"), **overrides}
    return requests.post(f"{sandbox.base_url}{p.SALES_ORDER_LIST_PATH}", params={"access_token": access_token}, json=body, timeout=5)


def test_token_signature_and_timestamp_are_verified(yonyou_sandbox) -> None:
    sandbox = yonyou_sandbox(10)
    ok = token(sandbox)
    assert ok["code"] == p.TOKEN_OK and ok["data"]["expire"] == p.TOKEN_TTL_SECONDS
    assert token(sandbox, secret="not-the-secret")["code"] != p.TOKEN_OK
    assert token(sandbox, timestamp_ms=int(time.time() * 1000) - 3_600_000)["code"] != p.TOKEN_OK


def test_list_rejects_unknown_and_expired_tokens(yonyou_sandbox) -> None:
    sandbox = yonyou_sandbox(10)
    assert list_page(sandbox, "fake").json()["code"] == "310036"
    access = token(sandbox)["data"]["access_token"]
    assert list_page(sandbox, access).json()["code"] == p.LIST_OK
    sandbox.expire_tokens()
    assert list_page(sandbox, access).json()["code"] == "310037"


def test_rows_flatten_lines_count_rows_and_keep_big_ids(yonyou_sandbox) -> None:
    sandbox = yonyou_sandbox(60)
    access = token(sandbox)["data"]["access_token"]
    response = list_page(sandbox, access)
    data = json.loads(response.content, parse_float=str)["data"]  # ints are exact in Python's parser
    lines = sum(len(o.lines) for o in sandbox.erp.visible_orders(sandbox.now_ts))
    assert data["recordCount"] == lines == len(data["recordList"])
    ids = [row["id"] for row in data["recordList"]]
    assert max(ids) > 2**53  # beyond a double's exact integers
    assert str(max(ids)) in response.text
    keys = [(r["pubts"], r["id"], r["lineno"]) for r in data["recordList"]]
    assert keys == sorted(keys)
    # pageSize and paging
    assert list_page(sandbox, access, pageSize=501).json()["code"] == "999"
    second = list_page(sandbox, access, pageIndex=2, pageSize=7).json()["data"]["recordList"]
    assert [r["lineno"] for r in second] == [r["lineno"] for r in data["recordList"][7:14]]


def test_between_is_inclusive_on_whole_seconds(yonyou_sandbox) -> None:
    sandbox = yonyou_sandbox(60)
    access = token(sandbox)["data"]["access_token"]
    rows = list_page(sandbox, access).json()["data"]["recordList"]
    stamp = rows[len(rows) // 2]["pubts"]
    body = {"simpleVOs": [{"field": "pubts", "op": "between", "value1": stamp, "value2": stamp}]}
    exact = list_page(sandbox, access, **body).json()["data"]["recordList"]
    assert exact and {r["pubts"] for r in exact} == {stamp}
    assert list_page(sandbox, access, simpleVOs=[{"field": "nope", "op": "eq", "value1": "x"}]).json()["code"] == "999"


def test_faults(yonyou_sandbox) -> None:
    sandbox = yonyou_sandbox(10, calls_per_minute=3)
    access = token(sandbox)["data"]["access_token"]
    statuses = [list_page(sandbox, access).status_code for _ in range(5)]
    assert statuses[:3] == [200, 200, 200] and 429 in statuses[3:]  # the per-minute budget
    sandbox = yonyou_sandbox(10)
    access = token(sandbox)["data"]["access_token"]
    sandbox.set_faults(busy_next=1, truncate_next=1, rate_limit_next=1)
    assert list_page(sandbox, access).status_code == 429
    assert list_page(sandbox, access).status_code == 503
    with pytest.raises(ValueError):
        json.loads(list_page(sandbox, access).content)
    assert list_page(sandbox, access).json()["code"] == p.LIST_OK
