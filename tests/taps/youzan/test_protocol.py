"""youzanyun protocol pieces: answer shapes, error classification, time format, token grant, push signature.

Youzan signs no API request (the access_token in the query string is the only credential), so there is no
request-signing vector to test; the fact sheet has no published vector for the push signature either. The
push vectors below are locally computed regression values (md5 of client_id + message + client_secret).
"""

from __future__ import annotations

import datetime as dt

import pytest

from orderlayer.taps.common.envelope import Action
from orderlayer.taps.youzan import protocol as p
from orderlayer.sandboxes.youzan import protocol as sp


def test_push_signature_regression_vectors() -> None:
    # self-computed, not published: they pin the concatenation order and the lower-case hex
    assert p.push_signature("b1f2c3d4e5f6a7b8c9", '{"msg":"trade","kdt_id":42971327}', "test-client-secret-7d3e9a") == (
        "540addb36bed5eca6952170466726249"
    )
    assert p.push_signature("yzsandboxclient0001", "有赞消息", "yz-sandbox-client-secret") == "22f80aa6e3dd4f75a42eaa7e39610fca"
    assert p.push_signature("a", "b", "c") != p.push_signature("c", "b", "a")


def test_answer_success_shape() -> None:
    answer = p.Answer.from_payload({"trace_id": "t1", "code": 200, "success": True, "message": "successful", "data": {"x": 1}})
    assert (answer.ok, answer.layer, answer.code, answer.data, p.judge(answer).action) == (True, p.Layer.BUSINESS, 200, {"x": 1}, Action.OK)


def test_gateway_error_has_no_top_level_code() -> None:
    payload = {"gw_err_resp": {"trace_id": "yz7-1", "err_msg": "Token 不存在", "err_code": 4203}}
    answer = p.Answer.from_payload(payload)
    assert (answer.ok, answer.layer, answer.code, answer.trace_id) == (False, p.Layer.GATEWAY, 4203, "yz7-1")
    assert "gateway error 4203 (Token 不存在) [trace_id yz7-1]" in answer.describe("youzan.trades.sold.get")


def test_business_error_and_legacy_shapes() -> None:
    biz = p.Answer.from_payload({"code": 5000, "data": None, "success": False, "message": "每页最多显示100条数据", "request_id": None})
    assert (biz.ok, biz.layer, biz.code) == (False, p.Layer.BUSINESS, 5000)
    legacy = p.Answer.from_payload({"error_response": {"code": 500, "msg": "x"}})
    assert (legacy.ok, legacy.code, legacy.message) == (False, 500, "x")
    # success=true with a non-200 code is not a success
    assert not p.Answer.from_payload({"code": 201, "success": True}).ok
    with pytest.raises(ValueError, match="not a youzanyun answer"):
        p.Answer.from_payload({"data": {}})
    with pytest.raises(ValueError, match="not a JSON object"):
        p.Answer.from_payload([1, 2])


@pytest.mark.parametrize(
    ("payload", "action"),
    [
        ({"gw_err_resp": {"err_code": 4101, "err_msg": "访问频繁"}}, Action.RETRY),
        ({"gw_err_resp": {"err_code": 4202, "err_msg": "请求凭证过期"}}, Action.REFRESH_TOKEN),
        ({"gw_err_resp": {"err_code": 4203, "err_msg": "Token 不存在"}}, Action.REFRESH_TOKEN),
        ({"gw_err_resp": {"err_code": 4201, "err_msg": "非法的请求凭证"}}, Action.FATAL),
        ({"gw_err_resp": {"err_code": 4204, "err_msg": "无权限访问"}}, Action.FATAL),
        ({"gw_err_resp": {"err_code": 4007, "err_msg": "源IP地址非法"}}, Action.FATAL),
        ({"gw_err_resp": {"err_code": 5001, "err_msg": "系统异常"}}, Action.FATAL),
        ({"code": 106000001, "success": False, "message": "请求超时"}, Action.RETRY),
        ({"code": 500100004, "success": False, "message": "请求被限流"}, Action.RETRY),
        ({"code": 123000042, "success": False, "message": "请求被限流"}, Action.RETRY),
        ({"code": 5000, "success": False, "message": "开始时间不能大于结束时间"}, Action.FATAL),
    ],
)
def test_classify(payload: dict, action: Action) -> None:
    assert p.judge(p.Answer.from_payload(payload)).action is action


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        ({"gw_err_resp": {"err_code": 4201}}, "re-authorize the shop (kdt_id)"),
        ({"gw_err_resp": {"err_code": 4204}}, "capability package"),
        ({"gw_err_resp": {"err_code": 4007}}, "IP whitelist"),
        ({"gw_err_resp": {"err_code": 4005}}, "'api_version'"),
        ({"code": 5000, "success": False}, "'page_size'"),
    ],
)
def test_fatal_hints_name_the_fix(payload: dict, fragment: str) -> None:
    assert fragment in p.judge(p.Answer.from_payload(payload)).hint


def test_token_hints_name_the_config_keys() -> None:
    assert "'client_secret'" in p.TOKEN_ERRORS.hint(p.TOKEN_BAD_SECRET)
    assert "'kdt_id'" in p.TOKEN_ERRORS.hint(p.TOKEN_NO_CLIENT) and "'client_id'" in p.TOKEN_ERRORS.hint(p.TOKEN_NO_CLIENT)


def test_local_time_is_beijing_both_ways() -> None:
    # 2024-11-19 00:00:00 Beijing = 2024-11-18 16:00:00 UTC = 1731945600
    assert p.format_local(1731945600) == "2024-11-19 00:00:00"
    assert p.parse_local("2024-11-19 00:00:00") == 1731945600
    assert p.parse_local(" 2024-11-18 23:59:59 ") == 1731945599
    for bad in ("2024-11-19", "2024-11-19T00:00:00", "", "0000-00-00 00:00:00"):
        with pytest.raises(ValueError):
            p.parse_local(bad)


def test_api_paths() -> None:
    assert p.api_path(p.TRADES_SOLD_GET, "4.0.4") == "/api/youzan.trades.sold.get/4.0.4"
    assert sp.split_api_path("/api/youzan.trades.sold.get/4.0.4") == ("youzan.trades.sold.get", "4.0.4")
    assert sp.split_api_path("/api/youzan.trades.sold.get") is None
    assert sp.split_api_path("/auth/token") is None


def test_token_grant_expiry_is_milliseconds() -> None:
    grant = p.TokenGrant.from_data({"access_token": "tok", "expires": 1732060800000, "scope": "trade", "authority_id": "42971327"})
    assert grant.expires_at == dt.datetime(2024, 11, 20, tzinfo=dt.timezone.utc).timestamp()
    with pytest.raises(ValueError, match="without an access_token"):
        p.TokenGrant.from_data({"expires": 1})
    body = p.silent_grant_body("cid", "secret", "42971327", refresh=True)
    assert body == {"client_id": "cid", "client_secret": "secret", "authorize_type": "silent", "grant_id": "42971327", "refresh": True}
