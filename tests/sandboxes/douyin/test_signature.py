"""The Douyin sandbox's own signature check against shared/channels/douyin.md §2.

No official vector exists; the sheet's vector was COMPUTED BY THE TEAM from the documented algorithm
(a regression guard, not proof of conformance with the gateway).
"""

from __future__ import annotations

from orderlayer.sandboxes.douyin import protocol as p

PARAM_JSON = '{"order_asc":true,"order_by":"update_time","page":0,"size":20,"update_time_end":1700000000,"update_time_start":1699996400}'
SIGNED = {"app_key": "1234567890123456789", "app_secret": "test_app_secret", "method": "order.searchList", "param_json": PARAM_JSON, "timestamp": "1700000000"}


def test_team_computed_hmac_sha256_vector() -> None:
    assert p.expected_sign(**SIGNED, sign_method="hmac-sha256") == "30e28b7b5226c679687a9abcb07a4f1c436e626b41c4a6948bb155f35b531c90"


def test_team_computed_md5_vector() -> None:
    assert p.expected_sign(**SIGNED, sign_method="md5") == "4a5502af45b2cd2cfcdf21e3183885bb"


def test_every_signed_value_counts() -> None:
    reference = p.expected_sign(**SIGNED, sign_method="hmac-sha256")
    for name, value in (("app_secret", "other"), ("method", "order.orderDetail"), ("param_json", PARAM_JSON.replace(":0", ":1")), ("timestamp", "1700000001")):
        assert p.expected_sign(**{**SIGNED, name: value}, sign_method="hmac-sha256") != reference, name


def test_method_name_is_the_path_with_dots() -> None:
    assert p.method_for_path("/order/searchList") == "order.searchList"
    assert p.method_for_path("/token/refresh") == "token.refresh"
