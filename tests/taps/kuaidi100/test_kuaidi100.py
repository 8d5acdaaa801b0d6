"""tap-kuaidi100: signing (hand-computed MD5), the push verifier, the query and subscription against the sandbox."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from urllib.parse import quote

import pytest
from tests.support.singer_run import TapFailed, run_tap

from orderlayer.sandboxes.kit.parcels import journey
from orderlayer.sandboxes.kuaidi100.server import Kuaidi100Sandbox
from orderlayer.taps.common.waybills import Waybill
from orderlayer.taps.kuaidi100 import protocol as p
from orderlayer.taps.kuaidi100.streams import company_of
from orderlayer.taps.kuaidi100.tap import DEFAULT_CARRIER_PREFIXES, TapKuaidi100

UTC = dt.timezone.utc
SHIPPED = dt.datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
AS_OF = dt.datetime(2026, 11, 20, tzinfo=UTC)
NUMBERS = [f"YT{7700000000000 + i}" for i in range(8)] + [f"78{1000000000 + i}" for i in range(8)]


def test_query_sign_is_upper_md5_of_param_key_customer() -> None:
    param = '{"com":"yuantong","num":"YT9693083639795"}'
    # md5("{\"com\":\"yuantong\",\"num\":\"YT9693083639795\"}KEYCUSTOMER"), computed once by hand with md5sum
    expected = hashlib.md5((param + "KEY" + "CUSTOMER").encode()).hexdigest().upper()  # noqa: S324
    assert p.query_sign(param, "KEY", "CUSTOMER") == expected
    assert p.query_sign("a", "b", "c") == "900150983CD24FB0D6963F7D28E17F72"  # md5("abc"), RFC 1321's vector


def test_push_sign_verifies_and_rejects() -> None:
    param = '{"status":"polling","message":"","lastResult":{"nu":"YT1","com":"yuantong","state":"0","data":[]}}'
    form = {"param": param, "sign": p.push_sign(param, "salt123")}
    record = p.verify_push(form, "salt123")
    assert (record["nu"], record["com"], record["watch_status"]) == ("YT1", "yuantong", "polling")
    with pytest.raises(p.PushError, match="sign"):
        p.verify_push({**form, "sign": "0" * 32}, "salt123")
    with pytest.raises(p.PushError, match="sign"):
        p.verify_push({"param": param}, "salt123")  # unsigned while a salt is configured
    with pytest.raises(p.PushError, match="lastResult"):
        bad = '{"status":"abort"}'
        p.verify_push({"param": bad, "sign": p.push_sign(bad, "s")}, "s")
    assert p.push_sign("a", "bc") == "900150983CD24FB0D6963F7D28E17F72"


def test_company_from_channel_else_longest_prefix() -> None:
    assert company_of(Waybill("JDV0012", "jd"), DEFAULT_CARRIER_PREFIXES) == "jd"
    assert company_of(Waybill("JDV0012"), {"JD": "jd-a", "JDV": "jd-b"}) == "jd-b"
    assert company_of(Waybill("9911"), DEFAULT_CARRIER_PREFIXES) is None


@pytest.fixture
def sandbox() -> Kuaidi100Sandbox:
    box = Kuaidi100Sandbox(7, AS_OF, {n: SHIPPED for n in NUMBERS})
    box.start()
    yield box
    box.stop()


def config(box: Kuaidi100Sandbox, **extra: object) -> dict:
    return {**box.connection(), "waybills": [{"number": n} for n in NUMBERS], "max_tries": 3, "retry_base_seconds": 0, "max_requests_per_second": 500, **extra}


def test_every_waybill_queried_with_its_history(sandbox: Kuaidi100Sandbox) -> None:
    result = run_tap(TapKuaidi100, config(sandbox))
    by_number = {r["nu"]: r for r in result.records}
    assert sorted(by_number) == sorted(NUMBERS)
    for number in NUMBERS:
        steps = journey(7, number, SHIPPED)
        record = by_number[number]
        if steps.scenario == "unknown":
            assert (record["returnCode"], record["data"]) == ("500", [])
            continue
        assert record["com"] == ("yuantong" if number.startswith("YT") else "zhongtong")
        # ascending, naive Beijing (UTC+8)
        assert [e["time"] for e in record["data"]] == [
            (s.at + dt.timedelta(hours=8)).strftime("%Y-%m-%d %H:%M:%S") for s in steps.visible(AS_OF)
        ]
    assert {e["path"] for e in sandbox.requests} == {p.QUERY_PATH}  # no callback_url: no subscription


def test_callback_url_subscribes_once_and_pushes_verify(sandbox: Kuaidi100Sandbox) -> None:
    settings = config(sandbox, callback_url="https://example.invalid/kd100", salt="pushsalt")
    run_tap(TapKuaidi100, settings)
    run_tap(TapKuaidi100, settings)  # the second sync meets 501 (already subscribed) and goes on
    subscribes = [e["return_code"] for e in sandbox.requests if e["path"] == p.SUBSCRIBE_PATH]
    assert subscribes == ["200"] * len(NUMBERS) + ["501"] * len(NUMBERS)
    known = next(n for n in NUMBERS if journey(7, n, SHIPPED).scenario != "unknown")
    record = p.verify_push(sandbox.push_form(known), "pushsalt")
    assert record["nu"] == known and record["data"]
    with pytest.raises(p.PushError):
        p.verify_push(sandbox.push_form(known), "another-salt")


def test_courier_phone_is_masked(sandbox: Kuaidi100Sandbox) -> None:
    result = run_tap(TapKuaidi100, config(sandbox))
    texts = [e["context"] for r in result.records for e in r["data"] if e["statusCode"] == "5"]
    assert texts
    for text in texts:
        phone = text.split("联系电话：")[1].rstrip("）")
        assert phone[3:7] == "****" and len(phone) == 11


def test_wrong_key_names_the_fix_never_the_key(sandbox: Kuaidi100Sandbox, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(TapFailed) as failed:
        run_tap(TapKuaidi100, config(sandbox, key="wrong-key-4471"))
    assert "503" in str(failed.value) and "key" in str(failed.value)
    assert "wrong-key-4471" not in caplog.text + str(failed.value)


def test_busy_is_retried(sandbox: Kuaidi100Sandbox, asked_waits: list[float]) -> None:
    sandbox.set_faults(busy_next=2)
    result = run_tap(TapKuaidi100, config(sandbox))
    assert len(result.records) == len(NUMBERS)
    assert [e["return_code"] for e in sandbox.requests][:3] == ["502", "502", sandbox.requests[2]["return_code"]]


def test_unknown_company_is_skipped_and_counted(sandbox: Kuaidi100Sandbox, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    result = run_tap(TapKuaidi100, {**config(sandbox), "waybills": [{"number": "99000001"}, {"number": NUMBERS[0]}]})
    assert [r["nu"] for r in result.records] == [NUMBERS[0]]
    assert "1 skipped with no company" in caplog.text


def test_the_receiver_verifies_lands_oldest_first_and_names_a_push_by_its_param() -> None:
    from orderlayer.taps.common.push import PushRejected, PushRequest
    from orderlayer.taps.kuaidi100.receiver import Kuaidi100Receiver, oldest_first

    assert Kuaidi100Receiver.from_config({"salt": "s"}) is None  # no callback_url: no push channel
    with pytest.raises(ValueError, match="^salt: a connection with a callback_url needs"):
        Kuaidi100Receiver.from_config({"callback_url": "https://x.example/push/kuaidi100/kd"})
    receiver = Kuaidi100Receiver.from_config({"callback_url": "https://x.example/push/kuaidi100/kd", "salt": "s"})
    newest_first = [
        {"time": "2026-11-03 09:00:00", "context": "【杭州】快递员正在派件（联系电话：13912345678）", "statusCode": "5"},
        {"time": "2026-11-02 18:30:00", "context": "快件已到达【杭州中转部】", "statusCode": "0"},
    ]
    param = '{"status":"polling","message":"","lastResult":{"nu":"YT1","com":"yuantong","state":"5","data":%s}}' % json.dumps(newest_first, ensure_ascii=False)
    form = f"param={quote(param)}&sign={p.push_sign(param, 's')}".encode()
    [pushed] = receiver.receive(PushRequest({}, form))
    assert pushed.stream == "tracking"
    assert pushed.message_id == hashlib.sha256(param.encode()).hexdigest()
    assert [e["statusCode"] for e in pushed.record["data"]] == ["0", "5"]
    assert pushed.record["data"][1]["context"] == "【杭州】快递员正在派件（联系电话：139****5678）"
    with pytest.raises(PushRejected, match="sign does not match"):
        receiver.receive(PushRequest({}, f"param={quote(param)}&sign={'0' * 32}".encode()))
    with pytest.raises(PushRejected, match="not UTF-8"):
        receiver.receive(PushRequest({}, b"param=\xff\xfe"))
    assert json.loads(receiver.accepted().body) == {"result": True, "returnCode": "200", "message": "成功"}
    assert json.loads(receiver.rejected("x").body) == {"result": False, "returnCode": "500", "message": "失败"}
    # already oldest first, one event, no list: unchanged
    assert oldest_first(newest_first[::-1]) == newest_first[::-1]
    assert oldest_first(newest_first[:1]) == newest_first[:1]
    assert oldest_first(None) is None
