"""The sandbox speaks the Douyin protocol: signature, timestamp, tokens, limits, paging."""

from __future__ import annotations

import json
import time
import typing as t

import pytest
import requests
from tests.taps.douyin.kit import APP_KEY, APP_SECRET, OTHER_SHOP, SHOP

from orderlayer.taps.douyin.protocol import canonical_param_json, signed_query
from orderlayer.sandboxes.douyin.server import DouyinSandbox


def call(
    sandbox: DouyinSandbox,
    params: dict,
    *,
    path: str = "/order/searchList",
    token: str | None = "default",
    secret: str = APP_SECRET,
    timestamp: int | None = None,
    shop: str = SHOP,
    tamper_body: bool = False,
) -> requests.Response:
    body = canonical_param_json(params)
    access = sandbox.access_token(shop) if token == "default" else token
    query = signed_query(
        app_key=APP_KEY,
        app_secret=secret,
        method=path.strip("/").replace("/", "."),
        param_json=body,
        timestamp=timestamp if timestamp is not None else int(time.time()),
        access_token=access,
    )
    sent = body.replace("0", "1", 1) if tamper_body else body
    return requests.post(sandbox.base_url + path, params=query, data=sent.encode(), timeout=5)


def window_params(sandbox: DouyinSandbox, **extra: t.Any) -> dict:
    params = {
        "page": 0,
        "size": 100,
        "order_by": "update_time",
        "order_asc": True,
        "update_time_start": sandbox.generator.start_ts,
        "update_time_end": sandbox.now_ts,
    }
    params.update(extra)
    return params


def test_serves_window_sorted_and_paged(make_sandbox: t.Callable[..., DouyinSandbox]) -> None:
    sandbox = make_sandbox(500)
    gen = sandbox.generator
    start, end = gen.start_ts + 2 * 86_400, gen.start_ts + 7 * 86_400
    served = []
    page = 0
    while True:
        envelope = call(sandbox, window_params(sandbox, page=page, size=37, update_time_start=start, update_time_end=end)).json()
        assert envelope["code"] == 10000 and envelope["log_id"]
        data = envelope["data"]
        served += data["shop_order_list"]
        if (page + 1) * 37 >= data["total"]:
            break
        page += 1
    keys = [(o["update_time"], o["order_id"]) for o in served]
    assert keys == sorted(keys)
    assert all(start <= o["update_time"] < end and o["shop_id"] == int(SHOP) for o in served)
    expected = gen.order_ids_updated_between(SHOP, start, end, end_inclusive=False)
    assert sorted(o["order_id"] for o in served) == sorted(expected)
    assert len(served) == data["total"] > 37


def test_window_end_inclusive_option(make_sandbox: t.Callable[..., DouyinSandbox]) -> None:
    sandbox = make_sandbox(300, window_end_inclusive=True)
    some = sandbox.order(sandbox.generator.indexes_for_shop(SHOP)[3])
    t0 = some["update_time"]
    data = call(sandbox, window_params(sandbox, update_time_start=t0 - 10, update_time_end=t0)).json()["data"]
    assert some["order_id"] in [o["order_id"] for o in data["shop_order_list"]]
    exclusive = make_sandbox(300)
    data = call(exclusive, window_params(exclusive, update_time_start=t0 - 10, update_time_end=t0)).json()["data"]
    assert some["order_id"] not in [o["order_id"] for o in data["shop_order_list"]]


@pytest.mark.parametrize(
    ("kwargs", "code", "sub_code"),
    [
        ({"secret": "wrong-secret"}, 40003, "isv.signature-invalid"),
        ({"tamper_body": True}, 40003, "isv.signature-invalid"),
        ({"timestamp": int(time.time()) - 601}, 40003, "isv.timestamp-invalid"),
        ({"token": "at.not-issued"}, 40003, "isv.access-token-no-existed"),
        ({"token": None}, 40001, "isv.access-token-missing"),
    ],
)
def test_rejects_bad_calls(make_sandbox: t.Callable[..., DouyinSandbox], kwargs: dict, code: int, sub_code: str) -> None:
    sandbox = make_sandbox(50)
    envelope = call(sandbox, window_params(sandbox), **kwargs).json()
    assert (envelope["code"], envelope["sub_code"]) == (code, sub_code)
    assert set(envelope) >= {"code", "msg", "sub_code", "sub_msg", "log_id"}


def test_business_param_limits(make_sandbox: t.Callable[..., DouyinSandbox]) -> None:
    sandbox = make_sandbox(50, max_window_seconds=3600)
    too_big = call(sandbox, window_params(sandbox, size=101, update_time_start=sandbox.now_ts - 60)).json()
    assert too_big["code"] == 40004 and "100" in too_big["sub_msg"]
    too_wide = call(sandbox, window_params(sandbox)).json()
    assert too_wide["code"] == 40004 and "3600" in too_wide["sub_msg"]
    ok = call(sandbox, window_params(sandbox, update_time_start=sandbox.now_ts - 3600)).json()
    assert ok["code"] == 10000


def test_rate_limit_and_faults(make_sandbox: t.Callable[..., DouyinSandbox]) -> None:
    sandbox = make_sandbox(50, qps=2.0, retry_after_seconds=1.5)
    codes = [call(sandbox, window_params(sandbox)).json()["code"] for _ in range(4)]
    assert codes[:2] == [10000, 10000] and 60000 in codes[2:]
    limited = call(sandbox, window_params(sandbox))
    assert limited.json()["code"] == 60000 and limited.headers["Retry-After"] == "1.5"

    sandbox2 = make_sandbox(50)
    reply = requests.post(sandbox2.base_url + "/_sandbox/faults", data=json.dumps({"busy_next": 1, "rate_limit_next": 1}), timeout=5)
    assert reply.json()["busy_next"] == 1
    codes = [call(sandbox2, window_params(sandbox2)).json()["code"] for _ in range(3)]
    assert codes == [60000, 20000, 10000]
    bad = requests.post(sandbox2.base_url + "/_sandbox/faults", data=json.dumps({"nope": 1}), timeout=5)
    assert bad.status_code == 400


def test_tokens_expire_refresh_once_and_shops_are_separate(make_sandbox: t.Callable[..., DouyinSandbox]) -> None:
    sandbox = make_sandbox(200)
    old_access, old_refresh = sandbox.access_token(SHOP), sandbox.refresh_token(SHOP)
    other = call(sandbox, window_params(sandbox), shop=OTHER_SHOP).json()["data"]["shop_order_list"]
    assert other and {o["shop_id"] for o in other} == {int(OTHER_SHOP)}

    sandbox.faults.expire_token = True
    expired = call(sandbox, window_params(sandbox)).json()
    assert (expired["code"], expired["sub_code"]) == (40003, "isv.access-token-expired")
    refreshed = call(sandbox, {"grant_type": "refresh_token", "refresh_token": old_refresh}, path="/token/refresh", token=None).json()
    assert refreshed["code"] == 10000
    data = refreshed["data"]
    assert data["access_token"] != old_access and data["refresh_token"] != old_refresh and data["expires_in"] > 0
    assert data["access_token"] == sandbox.access_token(SHOP)
    assert call(sandbox, window_params(sandbox), token=data["access_token"]).json()["code"] == 10000
    again = call(sandbox, {"grant_type": "refresh_token", "refresh_token": old_refresh}, path="/token/refresh", token=None).json()
    assert again["code"] == 50002  # refresh tokens are single-use

    sandbox.revoke(SHOP)
    revoked = call(sandbox, window_params(sandbox), token=data["access_token"]).json()
    assert (revoked["code"], revoked["sub_code"]) == (30001, "dop.authorization-closed")


def test_request_log_has_no_secrets(make_sandbox: t.Callable[..., DouyinSandbox]) -> None:
    sandbox = make_sandbox(50)
    call(sandbox, window_params(sandbox))
    call(sandbox, {"grant_type": "refresh_token", "refresh_token": sandbox.refresh_token(SHOP)}, path="/token/refresh", token=None)
    log = sandbox.requests
    assert [e["method"] for e in log] == ["order.searchList", "token.refresh"]
    assert log[0]["params"]["size"] == 100 and log[0]["shop_id"] == SHOP
    text = json.dumps(log)
    for secret in (APP_SECRET, sandbox.access_token(SHOP)):
        assert secret not in text
    assert log[1]["params"]["refresh_token"] == "***"


def test_advance_reveals_late_updates(make_sandbox: t.Callable[..., DouyinSandbox]) -> None:
    sandbox = make_sandbox(120)  # one page holds the whole shop
    before = {o["order_id"]: o["update_time"] for o in call(sandbox, window_params(sandbox, update_time_end=None)).json()["data"]["shop_order_list"]}
    sandbox.advance(sandbox.now_ts + 4 * 86_400)
    with pytest.raises(ValueError, match="forward"):
        sandbox.advance(sandbox.now_ts - 1)
    params = window_params(sandbox)
    params.pop("update_time_end")
    after = {o["order_id"]: o["update_time"] for o in call(sandbox, params).json()["data"]["shop_order_list"]}
    assert set(after) == set(before)
    assert any(after[k] > before[k] for k in before) and all(after[k] >= before[k] for k in before)
