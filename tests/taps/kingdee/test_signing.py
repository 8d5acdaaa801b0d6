"""Kingdee signed headers reproduced from the fact sheet's vectors (shared/channels/kingdee_k3cloud.md §2b),
and the ExecuteBillQuery answer shapes (§3)."""

from __future__ import annotations

import pytest

from orderlayer.taps.kingdee import protocol as p
from orderlayer.sandboxes.kingdee import protocol as sp

APP_ID = "123456_AAECAwQFBgcICQoLDA0ODxAREhMUFRYX"
APP_SECRET = "0123456789abcdef0123456789abcdef"
PATH = "/k3cloud/Kingdee.BOS.WebApi.ServicesStub.DynamicFormService.ExecuteBillQuery.common.kdsvc"
IDENTITY = p.SigningIdentity(APP_ID, APP_SECRET, "6512345678abcd", "apiuser", 2052, 0)


def test_xor_seed_is_the_rot13_of_the_sdk_constant() -> None:
    assert p.XOR_SEED == "0054f397c6234378b09ca7d3e5debce7"


def test_client_secret_vector() -> None:
    assert p.client_credentials(APP_ID) == ("123456", "MDE3N2I2PzBrPzg4OD45N3IhK3B1InIk")


def test_api_sign_string_vector() -> None:
    expected = (
        "POST\n%2Fk3cloud%2FKingdee.BOS.WebApi.ServicesStub.DynamicFormService.ExecuteBillQuery.common.kdsvc\n\n"
        "x-api-nonce:1700000000\nx-api-timestamp:1700000000\n"
    )
    assert p.api_sign_string(PATH, "1700000000", "1700000000") == expected


def test_all_signed_headers_vector() -> None:
    headers = p.signed_headers(IDENTITY, PATH, "1700000000")
    assert headers["X-Api-Signature"] == "N2M1YmZlZTUyZjc5YTRjMzU0MjkxMWVjODQ0YWEwZjQ0NzQyNWZjZjcwNGFhNzg0MzMxOGI5ZmI4YjNlMzUxOA=="
    assert headers["X-Kd-Appdata"] == "NjUxMjM0NTY3OGFiY2QsYXBpdXNlciwyMDUyLDA="
    assert headers["X-Kd-Signature"] == "ODYzY2JjZjE0NGE2NjNmZWFiZmUxNDgyYmUwOWVjNTFhM2JmNjIzMmViMDM1NDQ0ZDcxZWVlZWMwMWFkN2UzNQ=="
    assert headers["x-api-nonce"] == headers["x-api-timestamp"] == "1700000000"  # the Python SDK's nonce
    assert headers["X-Api-ClientID"] == "123456"
    assert headers["X-Kd-Appkey"] == APP_ID
    assert headers["X-Api-Auth-Version"] == "2.0"
    assert headers["x-api-signheaders"] == "x-api-timestamp,x-api-nonce"


def test_signature_changes_with_path_and_time() -> None:
    base = p.signed_headers(IDENTITY, PATH, "1700000000")["X-Api-Signature"]
    assert p.signed_headers(IDENTITY, PATH, "1700000001")["X-Api-Signature"] != base
    assert p.signed_headers(IDENTITY, PATH.replace("ExecuteBillQuery", "View"), "1700000000")["X-Api-Signature"] != base


def test_short_secret_part_is_used_unchanged() -> None:
    assert p.decode_app_secret("short") == "short"
    with pytest.raises(ValueError, match="clientId"):
        p.client_credentials("no-underscore")


def test_query_error_detects_the_sheets_fixture() -> None:
    fixture = [[{"Result": {"ResponseStatus": {"ErrorCode": 500, "IsSuccess": False,
        "Errors": [{"FieldName": None, "Message": "元数据中标识为FIssueType的字段不存在", "DIndex": 0}],
        "SuccessEntitys": [], "SuccessMessages": [], "MsgCode": 9}}}]]
    error = p.query_error(fixture)
    assert error == p.ResponseStatus(500, 9, ("元数据中标识为FIssueType的字段不存在",))
    assert "MsgCode 9" in error.describe()
    assert sp.error_payload(9, "元数据中标识为FIssueType的字段不存在") == fixture
    # success: a bare array of arrays (the sheet's real-instance example)
    assert p.query_error([["XSDD000019", "2021-11-09"], ["XSDD000025", "2021-11-10"]]) is None
    assert p.query_error([]) is None


def test_rows_are_named_by_field_keys_in_order() -> None:
    rows = p.rows_to_records(["FBillNo", "FDate"], [["XSDD000019", "2021-11-09"], ["XSDD000025", "2021-11-10"]])
    assert rows == [{"FBillNo": "XSDD000019", "FDate": "2021-11-09"}, {"FBillNo": "XSDD000025", "FDate": "2021-11-10"}]
    with pytest.raises(ValueError, match="2 FieldKeys"):
        p.rows_to_records(["FBillNo", "FDate"], [["XSDD000019"]])


def test_keyset_filter_continues_after_the_last_row() -> None:
    text = p.keyset_filter("2024-05-01 00:00:00", "2024-05-08 00:00:00", ("2024-05-02 10:00:00", 100123, 1001232))
    assert text == (
        "FModifyDate >= '2024-05-01 00:00:00' and FModifyDate < '2024-05-08 00:00:00' and "
        "(FModifyDate > '2024-05-02 10:00:00' or (FModifyDate = '2024-05-02 10:00:00' and "
        "(FID > 100123 or (FID = 100123 and FSaleOrderEntry_FEntryID > 1001232))))"
    )
    assert p.keyset_filter("a", "b", None, "FDocumentStatus='C'") == "FModifyDate >= 'a' and FModifyDate < 'b' and (FDocumentStatus='C')"
    assert p.local_literal("O'Brien") == "'O''Brien'"
