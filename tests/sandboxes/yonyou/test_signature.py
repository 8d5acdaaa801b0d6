"""The Yonyou sandbox's own token-signature check against shared/channels/yonyou.md §A.

The sheet's vector is SYNTHETIC, computed by the team with the documented algorithm.
"""

from __future__ import annotations

from urllib.parse import unquote

from orderlayer.sandboxes.yonyou import protocol as p

QUERY = {"appKey": "0123456789abcdef0123456789abcdef", "timestamp": "1700000000000"}
SECRET = "fedcba9876543210fedcba9876543210"


def test_team_computed_vector() -> None:
    assert p.expected_signature(QUERY, SECRET) == "wBsLNp5LqVgeWChWOar/RAw2Y4vds1jj5uSHAy/uWl8="
    assert p.expected_signature(QUERY, SECRET) == unquote("wBsLNp5LqVgeWChWOar%2FRAw2Y4vds1jj5uSHAy%2FuWl8%3D")  # the sheet's wire form


def test_the_signature_parameter_itself_is_not_signed() -> None:
    assert p.expected_signature({**QUERY, "signature": "X"}, SECRET) == "wBsLNp5LqVgeWChWOar/RAw2Y4vds1jj5uSHAy/uWl8="
