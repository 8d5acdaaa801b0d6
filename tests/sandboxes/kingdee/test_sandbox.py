"""The Kingdee sandbox answers the K3Cloud WebAPI the way 星空 does: login, signed headers, FieldKeys, errors."""

from __future__ import annotations

import json
import time

import pytest
import requests
from tests.support.erp_tapkit import kingdee_sandbox  # noqa: F401 - fixture

from orderlayer.taps.kingdee import protocol as p

KEYS = ["FBillNo", "FModifyDate", "FSaleOrderEntry_FEntryID", "FBillAllAmount"]


def query_url(sandbox) -> str:
    return sandbox.base_url + p.service_path("/k3cloud", p.EXECUTE_BILL_QUERY)


def body(keys=KEYS, filter_string: str = "", limit: int = 50, start_row: int = 0) -> dict:
    return p.bill_query_body(keys, filter_string, start_row, limit)


def signed(sandbox, *, timestamp: int | None = None, secret: str | None = None) -> dict:
    identity = p.SigningIdentity(sandbox.app_id, secret or sandbox.app_secret, sandbox.acct_id, sandbox.username)
    path = p.service_path("/k3cloud", p.EXECUTE_BILL_QUERY)
    return p.signed_headers(identity, path, str(timestamp if timestamp is not None else int(time.time())))


def msg_code(response: requests.Response) -> int | None:
    error = p.query_error(response.json())
    return None if error is None else error.msg_code


def test_validate_user_accepts_object_and_positional_bodies(kingdee_sandbox) -> None:
    sandbox = kingdee_sandbox(20)
    url = sandbox.base_url + p.service_path("/k3cloud", p.VALIDATE_USER)
    ok = requests.post(url, json={"acctID": sandbox.acct_id, "username": sandbox.username, "password": sandbox.password, "lcid": 2052}, timeout=5)
    assert ok.json()["LoginResultType"] == p.LOGIN_SUCCESS and ok.cookies.get(p.SESSION_COOKIE)
    positional = requests.post(url, json={"parameters": [sandbox.acct_id, sandbox.username, sandbox.password, 2052]}, timeout=5)
    assert positional.json()["LoginResultType"] == p.LOGIN_SUCCESS
    wrong = requests.post(url, json={"acctID": sandbox.acct_id, "username": sandbox.username, "password": "x", "lcid": 2052}, timeout=5)
    assert wrong.json()["LoginResultType"] != p.LOGIN_SUCCESS and not wrong.cookies
    # the session cookie then authorises queries
    rows = requests.post(query_url(sandbox), json=body(), cookies={p.SESSION_COOKIE: ok.cookies[p.SESSION_COOKIE]}, timeout=5).json()
    assert p.query_error(rows) is None and rows


def test_signed_headers_are_verified(kingdee_sandbox) -> None:
    sandbox = kingdee_sandbox(20)
    ok = requests.post(query_url(sandbox), json=body(), headers=signed(sandbox), timeout=5)
    assert p.query_error(ok.json()) is None and ok.cookies.get(p.SESSION_COOKIE)  # a session is opened
    assert msg_code(requests.post(query_url(sandbox), json=body(), headers=signed(sandbox, secret="f" * 32), timeout=5)) == p.MSG_VALIDATION_FAILED
    stale = requests.post(query_url(sandbox), json=body(), headers=signed(sandbox, timestamp=int(time.time()) - 3600), timeout=5)
    assert "X-Api-TimeStamp is invalid" in p.query_error(stale.json()).describe()
    tampered = {**signed(sandbox), "X-Kd-Appdata": "ZWxzZSx1c2VyLDIwNTIsMA=="}
    assert msg_code(requests.post(query_url(sandbox), json=body(), headers=tampered, timeout=5)) == p.MSG_VALIDATION_FAILED


def test_no_credentials_or_a_lost_session_is_context_lost(kingdee_sandbox) -> None:
    sandbox = kingdee_sandbox(20)
    assert msg_code(requests.post(query_url(sandbox), json=body(), timeout=5)) == p.MSG_CONTEXT_LOST
    cookie = requests.post(query_url(sandbox), json=body(), headers=signed(sandbox), timeout=5).cookies[p.SESSION_COOKIE]
    sandbox.expire_tokens()
    lost = requests.post(query_url(sandbox), json=body(), cookies={p.SESSION_COOKIE: cookie}, timeout=5)
    assert msg_code(lost) == p.MSG_CONTEXT_LOST and "会话信息已丢失" in p.query_error(lost.json()).describe()


def test_unknown_field_key_answers_the_sheets_message(kingdee_sandbox) -> None:
    sandbox = kingdee_sandbox(10)
    answer = requests.post(query_url(sandbox), json=body(["FBillNo", "FIssueType"]), headers=signed(sandbox), timeout=5).json()
    assert p.query_error(answer) == p.ResponseStatus(500, p.MSG_FIELD_MISSING, ("元数据中标识为FIssueType的字段不存在",))
    too_many = requests.post(query_url(sandbox), json=body(limit=5000), headers=signed(sandbox), timeout=5)
    assert msg_code(too_many) == p.MSG_PARAMETER_ERROR


def test_rows_are_positional_one_per_entry_sorted(kingdee_sandbox) -> None:
    sandbox = kingdee_sandbox(40)
    rows = requests.post(query_url(sandbox), json=body(limit=2000), headers=signed(sandbox), timeout=5).json()
    assert all(isinstance(row, list) and len(row) == len(KEYS) for row in rows)
    assert len(rows) == sum(len(o.lines) for o in sandbox.erp.visible_orders(sandbox.now_ts))
    keys = [(r[1], r[2]) for r in rows]
    assert keys == sorted(keys)
    assert all("T" in r[1] and "+" not in r[1] for r in rows)  # server-local, no offset
    # a keyset continuation and an AND/OR FilterString
    mid = rows[len(rows) // 2]
    fid = int(mid[2]) // 10
    after = requests.post(query_url(sandbox), json=body(filter_string=p.keyset_filter("2000-01-01 00:00:00", "2100-01-01 00:00:00", (mid[1].replace("T", " "), fid, mid[2])), limit=2000), headers=signed(sandbox), timeout=5).json()
    assert after == rows[len(rows) // 2 + 1 :]


def test_faults(kingdee_sandbox) -> None:
    sandbox = kingdee_sandbox(10)
    sandbox.set_faults(rate_limit_next=1, busy_next=1, forbid_next=1, truncate_next=1)
    assert requests.post(query_url(sandbox), json=body(), headers=signed(sandbox), timeout=5).status_code == 429
    assert requests.post(query_url(sandbox), json=body(), headers=signed(sandbox), timeout=5).content.startswith("response_error:".encode())
    assert msg_code(requests.post(query_url(sandbox), json=body(), headers=signed(sandbox), timeout=5)) == p.MSG_NO_PERMISSION
    cut = requests.post(query_url(sandbox), json=body(), headers=signed(sandbox), timeout=5)
    with pytest.raises(ValueError):
        json.loads(cut.content)
    assert p.query_error(requests.post(query_url(sandbox), json=body(), headers=signed(sandbox), timeout=5).json()) is None
