"""Youzan's trade pushes (docs/channels/youzan.md "Push"), opt-in: Event-Sign over the raw body, the answers, refusals
that store nothing, one fetch per named order in exactly the shape a sync lands, and the sandbox pushing through a
real `orderlayer serve` with duplicates, reordering and forged copies."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import typing as t
from pathlib import Path

import pytest
from singer_sdk.singerlib.json import deserialize_json

from orderlayer.loader.raw_store import canonical_json
from orderlayer.sandboxes.youzan import protocol as sp
from orderlayer.sandboxes.youzan.server import YouzanSandbox
from orderlayer.taps.common.push import FetchRequest, PushRejected, PushRequest
from orderlayer.taps.youzan import protocol as p
from orderlayer.taps.youzan.receiver import YouzanReceiver
from tests.support.push_serve import push_through_serve, raw_texts, serve_project
from tests.taps.youzan.kit import AS_OF, CLIENT_ID, CLIENT_SECRET, OTHER_SHOP, PII_SALT, SHOP, make_youzan, run_tap, tap_config  # noqa: F401 - fixture

CONFIG = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "kdt_id": SHOP, "push": True}
TID = "E20241201120000123456789"


def _message(**fields: t.Any) -> dict:  # noqa: ANN401
    return {"client_id": CLIENT_ID, "id": TID, "kdt_id": int(SHOP), "kdt_name": "店", "mode": 1, "msg": "%7B%7D",
            "sendCount": 0, "status": "TRADE_PAID", "test": False, "type": "trade_TradePaid", "version": 1, **fields}


def _push(message: dict, *, secret: str = CLIENT_SECRET) -> PushRequest:
    body = json.dumps(message, separators=(",", ":"))
    sign = hashlib.md5(f"{CLIENT_ID}{body}{secret}".encode()).hexdigest()  # noqa: S324 - the rule, written out
    return PushRequest({"event-sign": sign, "event-type": message["type"], "content-type": "application/json"}, body.encode())


def _receiver(**overrides: t.Any) -> YouzanReceiver:  # noqa: ANN401
    receiver = YouzanReceiver.from_config({**CONFIG, **overrides})
    assert receiver is not None
    return receiver


def test_the_sandbox_signs_pushes_by_the_rule_the_receiver_checks() -> None:
    # hand-computed: md5("ab" + '{"x":1}' + "cd") = md5('ab{"x":1}cd')
    assert sp.push_sign("ab", '{"x":1}', "cd") == hashlib.md5(b'ab{"x":1}cd').hexdigest() == p.push_signature("ab", '{"x":1}', "cd")  # noqa: S324


def test_a_trade_event_is_a_fetch_request_and_a_redelivery_the_same_message() -> None:
    [item] = _receiver().receive(_push(_message()))
    assert isinstance(item, FetchRequest) and (item.stream, item.id) == ("orders", TID)
    [again] = _receiver().receive(_push(_message(sendCount=1)))  # Youzan counts its sends: still the same message
    [other] = _receiver().receive(_push(_message(type="trade_TradeSuccess", status="TRADE_SUCCESS", version=2)))
    assert again.message_id == item.message_id != other.message_id


@pytest.mark.parametrize(
    ("request_", "reason"),
    [
        (_push(_message(), secret="wrong"), p.PUSH_BAD_SIGN),
        (PushRequest({"event-type": "trade_TradePaid"}, json.dumps(_message()).encode()), p.PUSH_UNSIGNED),
        (PushRequest({"event-sign": hashlib.md5(f"{CLIENT_ID}[1]{CLIENT_SECRET}".encode()).hexdigest()}, b"[1]"), p.PUSH_NOT_JSON),  # noqa: S324
        (PushRequest({"event-sign": "00"}, b"\xff\xfe"), p.PUSH_NOT_JSON),
    ],
    ids=["wrong-secret", "unsigned", "not-an-object", "not-utf8"],
)
def test_a_push_that_fails_verification_is_refused(request_: PushRequest, reason: str) -> None:
    receiver = _receiver()
    with pytest.raises(PushRejected) as refused:
        receiver.receive(request_)
    assert str(refused.value) == reason
    assert receiver.rejected(reason).status == 400
    assert receiver.rejected("not stored").status == 503  # Youzan sends it again
    assert json.loads(receiver.accepted().body) == {"code": 0, "msg": "success"}


def test_test_and_non_trade_pushes_store_nothing_and_a_trade_is_marked_with_its_shop() -> None:
    receiver = _receiver()
    assert receiver.receive(_push(_message(test=True))) == []
    assert receiver.receive(_push(_message(type="SCRM_CUSTOMER_EVENT"))) == []
    # one URL takes every shop of the app: serve spools the request under the connection of the shop it names
    assert receiver.app == CLIENT_ID
    assert [(r.id, r.shop_id) for r in receiver.receive(_push(_message(kdt_id=int(OTHER_SHOP))))] == [(TID, OTHER_SHOP)]
    assert [r.shop_id for r in receiver.receive(_push(_message()))] == [SHOP]


def test_pushes_are_received_only_when_opted_in() -> None:
    assert YouzanReceiver.from_config({**CONFIG, "push": False}) is None
    with pytest.raises(ValueError, match=r"^push: must be true or false, got 'false'"):
        YouzanReceiver.from_config({**CONFIG, "push": "false"})  # a quoted false must not open the channel
    assert YouzanReceiver.from_config({k: v for k, v in CONFIG.items() if k != "push"}) is None
    with pytest.raises(ValueError, match=r"^client_secret: "):
        YouzanReceiver.from_config({**CONFIG, "client_secret": ""})


def _synced(config: dict) -> dict[str, dict]:
    result = run_tap(config)
    messages = [deserialize_json(line) for line in result.lines if line.strip()]  # parsed as the target parses
    return {m["record"]["tid"]: m["record"] for m in messages if m["type"] == "RECORD" and m["stream"] == "orders"}


def test_a_fetched_order_is_the_record_a_sync_lands_byte_for_byte(make_youzan: t.Callable[..., YouzanSandbox]) -> None:
    sandbox = make_youzan(40)
    config = tap_config(sandbox)
    synced = _synced(config)
    assert len(synced) >= 10
    receiver = _receiver(**config)
    ids = [*sorted(synced)[:8], "E20000101000000000000000"]  # the last: no such order, left out
    fetched = receiver.fetch("orders", ids)
    assert [r["tid"] for r in fetched] == ids[:-1]
    for record in fetched:
        assert canonical_json(record) == canonical_json(synced[record["tid"]])


def test_the_sandbox_pushes_two_shops_to_one_url_through_serve_and_raw_ends_equal_to_syncs(
    tmp_path: Path, make_youzan: t.Callable[..., YouzanSandbox], monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox = make_youzan(60, days=3)
    for key, value in {"YZ_CLIENT_ID": CLIENT_ID, "YZ_CLIENT_SECRET": CLIENT_SECRET, "ORDERLAYER_PII_SALT": PII_SALT}.items():
        monkeypatch.setenv(key, value)
    shop = {"source": "youzan", "base_url": sandbox.base_url,
            "credentials": {"client_id": "YZ_CLIENT_ID", "client_secret": "YZ_CLIENT_SECRET"},
            "options": {"push": True, "max_requests_per_second": 10_000, "retry_base_seconds": 0.001}}
    project, urls = serve_project(tmp_path, {"yz": {**shop, "shop_id": SHOP}, "yz2": {**shop, "shop_id": OTHER_SHOP}})
    # the app's one push URL is yz's: the trades of both shops arrive there
    pushed = push_through_serve(project, urls["yz"], sandbox, [AS_OF + dt.timedelta(days=d) for d in (1, 2, 4, 8)], seed=5)
    db, stats = pushed.db, pushed.stats
    gen = sandbox.generator
    events = [(i, at) for i, tl in enumerate(gen.timelines) for name in sp.PUSH_TYPES
              if AS_OF.timestamp() < (at := tl.create if name == "create" else tl.at(name, sandbox.now_ts)) <= sandbox.now_ts]
    assert len(events) >= 10
    assert (stats["acknowledged"], stats["given_up"]) == (len(events), 0)
    assert stats["duplicates"] > 0 and stats["forged_sent"] > 0 and stats["forged_accepted"] == 0

    for connection, kdt_id in (("yz", SHOP), ("yz2", OTHER_SHOP)):
        rows = raw_texts(db, "youzan__orders", connection)
        assert len(set(rows)) == len(rows)  # every version once
        latest = {r["tid"]: r for r in map(deserialize_json, rows)}
        pushed = {gen.tid_of(i) for i, _at in events if gen.shop_ids[gen.timelines[i].shop] == kdt_id}
        assert pushed and set(latest) == pushed, connection
        synced = _synced(tap_config(sandbox, kdt_id))
        for tid, record in latest.items():
            assert canonical_json(record) == canonical_json(synced[tid]), (connection, tid)
