"""tap-sf-express: SF's signing (the fact sheet's vectors), the route query against the sandbox, masking, errors."""

from __future__ import annotations

import datetime as dt
import json
import logging

import pytest
from tests.support.singer_run import TapFailed, run_tap

from orderlayer.sandboxes.kit.parcels import journey
from orderlayer.sandboxes.sf_express.server import SfExpressSandbox
from orderlayer.taps.sf_express import protocol as p
from orderlayer.taps.sf_express.tap import TapSfExpress

UTC = dt.timezone.utc
SHIPPED = dt.datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
AS_OF = dt.datetime(2026, 11, 20, tzinfo=UTC)
NUMBERS = [f"SF{1440000000000 + i}" for i in range(24)]


def test_msg_digest_matches_the_fact_sheet_vectors() -> None:
    msg = '{"language":"0","trackingType":"1","trackingNumber":["SF7444407228423"],"methodType":"1"}'
    assert p.msg_digest(msg, "1700000000", "TESTCHECKWORD0123456789abcdefghij") == "PIpdHmYsBpRN49qkpeGWrQ=="
    # the same without the URL-encoding step is the wrong digest the sheet warns about
    assert p.route_query(["SF7444407228423"]) == msg


def test_gateway_answer_is_parsed_twice() -> None:
    body = {"apiErrorMsg": "", "apiResponseID": "X", "apiResultCode": "A1000",
            "apiResultData": '{"success":true,"errorCode":"S0000","errorMsg":null,"msgData":{"routeResps":[]}}'}
    answer = p.read_gateway(body)
    assert (answer.code, answer.result["errorCode"], answer.result["msgData"]) == ("A1000", "S0000", {"routeResps": []})
    with pytest.raises(ValueError, match="apiResultCode"):
        p.read_gateway({"success": True})


def test_accept_time_is_beijing_time() -> None:
    assert p.parse_accept_time("2024-06-04 18:42:11").astimezone(UTC) == dt.datetime(2024, 6, 4, 10, 42, 11, tzinfo=UTC)


@pytest.fixture
def sandbox() -> SfExpressSandbox:
    box = SfExpressSandbox(7, AS_OF, {n: SHIPPED for n in NUMBERS}, max_batch=10)
    box.start()
    yield box
    box.stop()


def config(box: SfExpressSandbox, **extra: object) -> dict:
    waybills = [{"number": n} for n in NUMBERS]
    return {**box.connection(), "waybills": waybills, "max_tries": 3, "retry_base_seconds": 0, "max_requests_per_second": 500, **extra}


def test_routes_of_every_waybill_in_batches(sandbox: SfExpressSandbox) -> None:
    result = run_tap(TapSfExpress, config(sandbox))
    by_number = {r["mailNo"]: r for r in result.records}
    assert sorted(by_number) == NUMBERS
    # 24 waybills, 10 per call: three calls
    assert [len(e["waybills"]) for e in sandbox.requests] == [10, 10, 4]
    for number in NUMBERS:
        expected = [s.at.astimezone(p.ZONE).strftime(p.TIME_FORMAT) for s in journey(7, number, SHIPPED).visible(AS_OF)]
        assert [r["acceptTime"] for r in by_number[number]["routes"]] == expected


def test_courier_phone_is_masked(sandbox: SfExpressSandbox) -> None:
    result = run_tap(TapSfExpress, config(sandbox))
    remarks = [r["remark"] for rec in result.records for r in rec["routes"] if r["opCode"] == "44"]
    assert remarks, "the seed gives some parcels an out-for-delivery step"
    for remark in remarks:
        assert "****" in remark
        phone = remark.split("联系电话：")[1].rstrip("）")
        assert len(phone) == 11 and phone[3:7] == "****"


def test_phone_tail_goes_as_check_phone_no_one_per_call(sandbox: SfExpressSandbox) -> None:
    waybills = [{"number": NUMBERS[0], "phone_tail": "1234"}, {"number": NUMBERS[1], "phone_tail": "1234"}, {"number": NUMBERS[2]}]
    run_tap(TapSfExpress, {**config(sandbox), "waybills": waybills})
    calls = sorted((tuple(e["waybills"]), e["check_phone_no"]) for e in sandbox.requests)
    assert calls == [((NUMBERS[0], NUMBERS[1]), True), ((NUMBERS[2],), False)]


def test_wrong_checkword_names_the_fix_and_never_the_secret(sandbox: SfExpressSandbox, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(TapFailed) as failed:
        run_tap(TapSfExpress, config(sandbox, checkword="not-the-checkword-0001"))
    assert "A1006" in str(failed.value) and "checkword" in str(failed.value)
    assert "not-the-checkword-0001" not in caplog.text + str(failed.value)


def test_flow_control_is_retried(sandbox: SfExpressSandbox, asked_waits: list[float]) -> None:
    sandbox.set_faults(rate_limit_next=1)
    result = run_tap(TapSfExpress, config(sandbox))
    assert len(result.records) == len(NUMBERS)
    assert [e["api_result_code"] for e in sandbox.requests][:2] == ["A1005", "A1000"]


def test_unknown_waybill_is_emitted_without_routes(sandbox: SfExpressSandbox) -> None:
    result = run_tap(TapSfExpress, {**config(sandbox), "waybills": [{"number": "SF9999999999999"}]})
    assert result.records == [{"mailNo": "SF9999999999999", "routes": []}]


def test_no_waybills_no_call(sandbox: SfExpressSandbox) -> None:
    result = run_tap(TapSfExpress, {**config(sandbox), "waybills": []})
    assert result.records == [] and sandbox.requests == []


def test_clock_moves_parcels_on(sandbox: SfExpressSandbox) -> None:
    early = dt.datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
    box = SfExpressSandbox(7, early, {n: SHIPPED for n in NUMBERS})
    with box:
        before = sum(len(r["routes"]) for r in run_tap(TapSfExpress, config(box)).records)
        box.advance(AS_OF)
        after = sum(len(r["routes"]) for r in run_tap(TapSfExpress, config(box)).records)
    assert before < after
    assert json.dumps(box.requests).count("checkword") == 0
