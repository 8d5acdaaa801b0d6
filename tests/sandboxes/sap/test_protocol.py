"""The SAP sandbox's own reading of API_SALES_ORDER_SRV (shared/channels/sap_s4hana.md §2, §3, §5, §7).

SAP signs nothing (Basic or OAuth), so there is no signature vector; what the tap and the sandbox must
agree on is the ``$filter`` grammar, the JSON dates and the error body, checked here against the sheet.
"""

from __future__ import annotations

import datetime as dt

import pytest

from orderlayer.sandboxes.sap import protocol as p

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def test_window_filter_literals_of_the_sheet() -> None:
    text = "LastChangeDateTime ge datetimeoffset'2024-05-01T00:00:00Z' and LastChangeDateTime lt datetimeoffset'2016-05-03T10:09:19.6938540Z'"
    assert p.parse_window_filter(text) == (1714521600000, 1462270159693)
    shifted = "LastChangeDateTime ge datetimeoffset'2024-05-01T08:00+08:00' and LastChangeDateTime lt datetimeoffset'2024-05-02T00:00:00Z'"
    assert p.parse_window_filter(shifted) == (1714521600000, 1714608000000)


@pytest.mark.parametrize(
    "text",
    [
        "LastChangeDateTime ge datetime'2024-05-01T00:00:00' and LastChangeDateTime lt datetime'2024-05-02T00:00:00'",  # KBA 2310920
        "LastChangeDateTime ge datetimeoffset'2024-05-01T00:00:00Z'",
        "CreationDate ge datetimeoffset'2024-05-01T00:00:00Z' and CreationDate lt datetimeoffset'2024-05-02T00:00:00Z'",
    ],
)
def test_other_filters_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="unsupported"):
        p.parse_window_filter(text)


def test_json_dates_of_the_sheet() -> None:
    assert p.format_odata_date(1546992000000) == "/Date(1546992000000)/"
    assert p.format_odata_date(1683923430388, offset=True) == "/Date(1683923430388+0000)/"
    # a date-only value is midnight UTC of the calendar date: 2019-01-09 in Shanghai, even late in the evening
    assert p.date_only_ms(int(dt.datetime(2019, 1, 9, 23, 30, tzinfo=SHANGHAI).timestamp()), SHANGHAI) == 1546992000000


def test_basic_authorization_and_error_body() -> None:
    assert p.basic_authorization("COMM_USER", "secret") == "Basic Q09NTV9VU0VSOnNlY3JldA=="
    body = p.odata_error("/IWBEP/CM_MGW_RT/022", "Invalid token detected at position 1", transaction_id="T1")
    assert body["error"]["code"] == "/IWBEP/CM_MGW_RT/022"
    assert body["error"]["message"] == {"lang": "en", "value": "Invalid token detected at position 1"}
    assert body["error"]["innererror"]["transactionid"] == "T1"
    assert body["error"]["innererror"]["errordetails"][0]["severity"] == "error"
