"""The Kingdee sandbox's own signed-header check against shared/channels/kingdee_k3cloud.md §2b.

The sheet's vectors are SYNTHETIC, computed by the team with the documented algorithm (which it checked
against a real published pair it does not repeat).
"""

from __future__ import annotations

import base64

from orderlayer.sandboxes.kingdee import protocol as p

APP_ID = "123456_AAECAwQFBgcICQoLDA0ODxAREhMUFRYX"
APP_SECRET = "0123456789abcdef0123456789abcdef"
PATH = "/k3cloud/Kingdee.BOS.WebApi.ServicesStub.DynamicFormService.ExecuteBillQuery.common.kdsvc"


def test_team_computed_client_secret() -> None:
    assert p.client_secret(APP_ID) == "MDE3N2I2PzBrPzg4OD45N3IhK3B1InIk"
    assert p.client_secret("123456_short") == "short"  # not 32 characters: used as it is


def test_team_computed_api_signature() -> None:
    expected = "N2M1YmZlZTUyZjc5YTRjMzU0MjkxMWVjODQ0YWEwZjQ0NzQyNWZjZjcwNGFhNzg0MzMxOGI5ZmI4YjNlMzUxOA=="
    assert p.expected_api_signature(APP_ID, PATH, "1700000000", "1700000000") == expected


def test_team_computed_app_data_and_kd_signature() -> None:
    data = p.app_data("6512345678abcd", "apiuser", 2052, 0)
    assert base64.b64encode(data.encode()).decode() == "NjUxMjM0NTY3OGFiY2QsYXBpdXNlciwyMDUyLDA="
    expected = "ODYzY2JjZjE0NGE2NjNmZWFiZmUxNDgyYmUwOWVjNTFhM2JmNjIzMmViMDM1NDQ0ZDcxZWVlZWMwMWFkN2UzNQ=="
    assert p.expected_kd_signature(APP_ID, APP_SECRET, data) == expected
