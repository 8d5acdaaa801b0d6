"""SAP OData V2 formats against the fact sheet's published values (shared/channels/sap_s4hana.md §3, §5, §7)."""

from __future__ import annotations

import datetime as dt

import pytest

from orderlayer.taps.sap import protocol as p
from orderlayer.sandboxes.sap import protocol as sp
from orderlayer.taps.sap.client import ms_literal


def test_date_only_value_is_midnight_utc() -> None:
    # sheet §5: "\/Date(1546992000000)\/" = 2019-01-09T00:00:00Z (JSON parsers drop the escaping backslashes)
    value = p.parse_odata_date("/Date(1546992000000)/")
    assert value == p.ODataDate(1546992000000, None)
    assert value.as_datetime() == dt.datetime(2019, 1, 9, tzinfo=dt.timezone.utc)


def test_datetimeoffset_value_keeps_milliseconds_and_offset_minutes() -> None:
    # sheet §9: LastChangeDateTime "\/Date(1683923430388+0000)\/" from a real POST response
    value = p.parse_odata_date("/Date(1683923430388+0000)/")
    assert value.epoch_ms == 1683923430388
    assert value.offset_minutes == 0
    assert value.as_datetime() == dt.datetime(2023, 5, 12, 20, 30, 30, 388000, tzinfo=dt.timezone.utc)
    # the suffix is a minute count and never moves the instant
    assert p.parse_odata_date("/Date(1683923430388+0060)/").epoch_ms == 1683923430388
    assert p.parse_odata_date("/Date(1683923430388-0300)/").offset_minutes == -300


@pytest.mark.parametrize("bad", ["2019-01-09", "/Date()/", "Date(1546992000000)", "/Date(15469920000x0)/", "", None])
def test_anything_else_is_refused(bad: object) -> None:
    with pytest.raises(ValueError, match="OData V2 JSON date"):
        p.parse_odata_date(bad)  # type: ignore[arg-type]


def test_format_round_trips() -> None:
    assert sp.format_odata_date(1546992000000) == "/Date(1546992000000)/"
    assert sp.format_odata_date(1683923430388, offset=True) == "/Date(1683923430388+0000)/"


def test_date_only_uses_the_systems_local_calendar_date() -> None:
    # 2024-05-01 23:30 Beijing is still 15:30 UTC on the same date; at 00:30 Beijing it is the previous UTC day
    shanghai = dt.timezone(dt.timedelta(hours=8))
    late = int(dt.datetime(2024, 5, 1, 23, 30, tzinfo=shanghai).timestamp())
    early = int(dt.datetime(2024, 5, 2, 0, 30, tzinfo=shanghai).timestamp())
    assert sp.date_only_ms(late, shanghai) == 1714521600000  # 2024-05-01T00:00:00Z
    assert sp.date_only_ms(early, shanghai) == 1714608000000  # 2024-05-02T00:00:00Z


def test_filter_uses_datetimeoffset_literals_never_datetime() -> None:
    # sheet §3 / KBA 2310920: datetime'…' on a DateTimeOffset property fails with "Invalid token"
    text = p.window_filter(1714521600, 1714608000)
    assert text == (
        "LastChangeDateTime ge datetimeoffset'2024-05-01T00:00:00Z' and "
        "LastChangeDateTime lt datetimeoffset'2024-05-02T00:00:00Z'"
    )
    assert "datetime'" not in text.replace("datetimeoffset'", "")
    assert sp.parse_window_filter(text) == (1714521600000, 1714608000000)


def test_seek_literal_carries_milliseconds_and_parses_back() -> None:
    literal = ms_literal(1683923430388)
    assert literal == "datetimeoffset'2023-05-12T20:30:30.388Z'"
    text = f"LastChangeDateTime ge {literal} and LastChangeDateTime lt datetimeoffset'2023-05-13T00:00:00Z'"
    assert sp.parse_window_filter(text) == (1683923430388, 1683936000000)
    # the sheet's 7-digit example literal is accepted too
    seven = "LastChangeDateTime ge datetimeoffset'2016-05-03T10:09:19.6938540Z' and LastChangeDateTime lt datetimeoffset'2016-05-04T00:00:00Z'"
    assert sp.parse_window_filter(seven)[0] == 1462270159693


def test_parse_window_filter_refuses_other_expressions() -> None:
    with pytest.raises(ValueError, match="unsupported"):
        sp.parse_window_filter("LastChangeDateTime ge datetime'2024-05-01T00:00:00' and LastChangeDateTime lt datetime'2024-05-02T00:00:00'")


def test_basic_authorization_header() -> None:
    assert p.basic_authorization("Aladdin", "open sesame") == "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="  # RFC 7617 example


def test_gateway_error_body_round_trip() -> None:
    body = sp.odata_error("/IWBEP/CM_MGW_RT/022", "Invalid token detected at position 22")
    assert set(body["error"]) == {"code", "message", "innererror"}
    assert body["error"]["innererror"]["application"]["service_id"] == "API_SALES_ORDER_SRV"
    assert p.error_text(body) == ("/IWBEP/CM_MGW_RT/022", "Invalid token detected at position 22")
    assert p.error_text({"d": {"results": []}}) is None
