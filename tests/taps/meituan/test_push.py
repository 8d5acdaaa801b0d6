"""Meituan's order pushes (docs/channels/meituan.md "Push"): the signature over the registered callback URL, the
answers, refusals that store nothing, one fetch per named order in exactly the shape a sync lands, and the sandbox
pushing through a real `orderlayer serve` with duplicates, reordering and forged copies."""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import typing as t
from pathlib import Path
from urllib.parse import urlencode

import pytest

from orderlayer.core.config import ConfigError, load_settings
from orderlayer.core.serve import channels_for
from orderlayer.loader.raw_store import canonical_json
from orderlayer.sandboxes.meituan import protocol as sp
from orderlayer.sandboxes.meituan.server import MeituanSandbox
from orderlayer.taps.common.push import FetchRequest, PushRejected, PushRequest
from orderlayer.taps.meituan import protocol as p
from orderlayer.taps.meituan.receiver import MeituanReceiver
from tests.support.push_serve import push_through_serve, raw_texts, serve_project
from tests.taps.meituan.kit import AS_OF, OTHER_POI, PII_SALT, POI, fast, make_meituan, sync  # noqa: F401 - fixture

URL = "https://orders.example.com/push/meituan/mt"
SECRET = "s3cret"
CONFIG = {"app_id": "1024", "app_secret": SECRET, "app_poi_code": POI, "push_url": URL, "push_max_age_seconds": 600}
NOW = 1_733_025_600  # 2024-12-01T04:00:00Z


def _receiver(**overrides: t.Any) -> MeituanReceiver:  # noqa: ANN401
    assert MeituanReceiver.from_config({**CONFIG, **overrides}) is not None
    return MeituanReceiver({**CONFIG, **overrides}, clock=lambda: NOW)


def _push(fields: dict[str, str], *, secret: str = SECRET, url: str = URL) -> PushRequest:
    form, _forged = sp.signed_push(url, fields, "1024", secret, NOW)
    return PushRequest({"content-type": "application/x-www-form-urlencoded"}, urlencode(form).encode())


# ---------------------------------------------------------------------------- signature
def test_the_signature_is_md5_of_the_callback_url_the_sorted_fields_and_the_secret() -> None:
    form = {"app_id": "1024", "app_poi_code": POI, "order_id": "6810571663", "status": "4", "timestamp": str(NOW)}
    # written out by hand from fact sheet §A2: URL + "?" + k=v sorted by key joined by "&" + secret
    pre_hash = f"https://orders.example.com/push/meituan/mt?app_id=1024&app_poi_code={POI}&order_id=6810571663&status=4&timestamp=1733025600s3cret"
    sig = hashlib.md5(pre_hash.encode()).hexdigest()  # noqa: S324
    assert p.verify_push({**form, "sig": sig}, URL, app_id="1024", secret=SECRET, now=NOW, max_age_seconds=600) == form
    assert p.verify_push({**form, "sig": sig.upper()}, URL, app_id="1024", secret=SECRET, now=NOW, max_age_seconds=600) == form
    with pytest.raises(p.PushError, match="sig"):  # the same fields signed for another URL
        p.verify_push({**form, "sig": sig}, URL + "x", app_id="1024", secret=SECRET, now=NOW, max_age_seconds=600)


# ---------------------------------------------------------------------------- receiver
def test_an_order_event_is_a_fetch_request_for_its_order() -> None:
    [item] = _receiver().receive(_push({"order_id": "6810571663", "app_poi_code": POI, "status": "4"}))
    assert isinstance(item, FetchRequest)
    assert (item.stream, item.id) == ("orders", "6810571663")
    # the same push delivered again is the same message; another event of the order is another one
    [again] = _receiver().receive(_push({"order_id": "6810571663", "app_poi_code": POI, "status": "4"}))
    [later] = _receiver().receive(_push({"order_id": "6810571663", "app_poi_code": POI, "status": "8"}))
    assert again.message_id == item.message_id != later.message_id


@pytest.mark.parametrize(
    ("request_", "reason", "code"),
    [
        (_push({"order_id": "1", "app_poi_code": POI}, secret="wrong"), p.PUSH_SIGNATURE[1], 703),
        (_push({"order_id": "1", "app_poi_code": POI}, url="https://elsewhere.example.com/cb"), p.PUSH_SIGNATURE[1], 703),
        (PushRequest({}, urlencode({"order_id": "1", "app_id": "1024", "timestamp": str(NOW)}).encode()), p.PUSH_MISSING[1], 701),
        (PushRequest({}, b"order_id=1&app_poi_code=x&\xff\xfe"), "push body is not UTF-8 form data", 600),
    ],
    ids=["wrong-secret", "wrong-url", "no-sig", "not-utf8"],
)
def test_a_push_that_fails_verification_is_refused_with_meituans_error_answer(request_: PushRequest, reason: str, code: int) -> None:
    receiver = _receiver()
    with pytest.raises(PushRejected) as refused:
        receiver.receive(request_)
    assert str(refused.value) == reason
    reply = receiver.rejected(str(refused.value))
    assert (reply.status, json.loads(reply.body)["data"], json.loads(reply.body)["error"]["code"]) == (200, "ng", code)
    assert json.loads(receiver.accepted().body) == {"data": "ok"}


def test_a_replayed_push_outside_the_window_is_refused_unless_the_window_is_off() -> None:
    stale, _ = sp.signed_push(URL, {"order_id": "1", "app_poi_code": POI}, "1024", SECRET, NOW - 601)
    request = PushRequest({}, urlencode(stale).encode())
    with pytest.raises(PushRejected, match="push_max_age_seconds"):
        _receiver().receive(request)
    assert [r.id for r in _receiver(push_max_age_seconds=0).receive(request)] == ["1"]
    assert [r.id for r in _receiver(push_max_age_seconds=602).receive(request)] == ["1"]


def test_pushes_that_name_no_order_store_nothing_and_an_order_event_is_marked_with_its_store() -> None:
    receiver = _receiver()
    assert receiver.receive(PushRequest({}, b"")) == []  # the console's URL check
    assert receiver.receive(_push({"app_poi_code": POI, "phone": "13900000000"})) == []  # not an order event
    # one callback URL takes every store of the app: serve spools the request under that store's connection
    assert receiver.app == "1024"
    assert [(r.id, r.shop_id) for r in receiver.receive(_push({"order_id": "7", "app_poi_code": OTHER_POI}))] == [("7", OTHER_POI)]


def test_the_receiver_exists_only_with_a_push_url_and_names_a_bad_setting() -> None:
    assert MeituanReceiver.from_config({k: v for k, v in CONFIG.items() if k != "push_url"}) is None
    with pytest.raises(ValueError, match=r"^push_url: "):
        MeituanReceiver.from_config({**CONFIG, "push_url": "orders.example.com/cb"})
    with pytest.raises(ValueError, match=r"^app_secret: "):
        MeituanReceiver.from_config({**CONFIG, "app_secret": ""})


# ---------------------------------------------------------------------------- fetch == sync
def test_a_fetched_order_is_the_record_a_sync_lands_byte_for_byte(make_meituan: t.Callable[..., MeituanSandbox]) -> None:
    sandbox = make_meituan(40)
    synced = {str(r["order_id"]): r for r in sync(sandbox).records}
    assert len(synced) >= 10
    refunded = [i for i, r in synced.items() if r["refund_records"]]
    assert refunded  # the fetch attaches refund records as the sync does
    receiver = MeituanReceiver.from_config(fast(sandbox, POI, PII_SALT, push_url=URL))
    assert receiver is not None
    ids = [*sorted(synced)[:6], refunded[0], "999999"]  # the last is unknown to the store: left out
    fetched = receiver.fetch("orders", ids)
    assert [str(r["order_id"]) for r in fetched] == ids[:-1]
    for record in fetched:
        assert canonical_json(record) == canonical_json(synced[str(record["order_id"])])


def test_an_order_of_another_store_is_not_fetched_into_this_connection(make_meituan: t.Callable[..., MeituanSandbox]) -> None:
    sandbox = make_meituan(40)
    other = str(sandbox.generator.plans[sandbox.visible_indexes(OTHER_POI)[0]].order_id)
    receiver = MeituanReceiver.from_config(fast(sandbox, POI, PII_SALT, push_url=URL))
    assert receiver is not None and receiver.fetch("orders", [other]) == []


# ---------------------------------------------------------------------------- sandbox pushes through serve
def test_the_sandbox_pushes_two_stores_to_one_url_through_serve_and_raw_ends_equal_to_syncs(
    tmp_path: Path, make_meituan: t.Callable[..., MeituanSandbox], monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox = make_meituan(60, days=2)
    for key, value in {"MT_APP_ID": sandbox.app_id, "MT_APP_SECRET": sandbox.app_secret, "ORDERLAYER_PII_SALT": PII_SALT}.items():
        monkeypatch.setenv(key, value)
    store = {"source": "meituan", "base_url": sandbox.connection(POI)["base_url"],
             "credentials": {"app_id": "MT_APP_ID", "app_secret": "MT_APP_SECRET"},
             "options": {"max_requests_per_second": 10_000, "retry_base_seconds": 0.001}}
    project, urls = serve_project(tmp_path, {"mt": {**store, "shop_id": POI}, "mt2": {**store, "shop_id": OTHER_POI}}, url_option="push_url")
    # the app registers one callback URL (mt's): the events of both stores arrive there
    steps = [AS_OF + dt.timedelta(hours=h) for h in (6, 12, 24, 36)]
    pushed = push_through_serve(project, urls["mt"], sandbox, steps, seed=3)
    db, stats = pushed.db, pushed.stats
    events = [
        (pl, at) for pl in sandbox.generator.plans
        for at in sandbox.generator.events_at(pl, sandbox.now_ts).values() if AS_OF.timestamp() < at <= sandbox.now_ts
    ]
    assert len(events) >= 10
    assert (stats["acknowledged"], stats["given_up"]) == (len(events), 0)  # one delivery per event
    assert stats["duplicates"] > 0 and stats["forged_sent"] > 0 and stats["forged_accepted"] == 0

    for connection, shop in (("mt", POI), ("mt2", OTHER_POI)):
        rows = raw_texts(db, "meituan__orders", connection)
        assert len(set(rows)) == len(rows)  # every version once
        latest = {str(r["order_id"]): r for r in (json.loads(text, parse_float=decimal.Decimal) for text in rows)}
        pushed_orders = {str(pl.order_id) for pl, _at in events if pl.shop == shop}
        assert pushed_orders and set(latest) == pushed_orders, connection
        synced = {str(r["order_id"]): r for r in sync(sandbox, shop).records}
        for order_id, record in latest.items():
            assert canonical_json(record) == canonical_json(synced[order_id]), (connection, order_id)


def test_a_wrong_push_url_is_a_config_error_naming_where_orderlayer_yml_sets_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in ("MT_APP_ID", "MT_APP_SECRET", "ORDERLAYER_PII_SALT"):
        monkeypatch.setenv(key, "x")
    project, _urls = serve_project(tmp_path, {"mt": {
        "source": "meituan", "shop_id": POI, "credentials": {"app_id": "MT_APP_ID", "app_secret": "MT_APP_SECRET"},
        "options": {"push_url": "orders.example.com/cb"},
    }})
    with pytest.raises(ConfigError, match=r"^connections\.mt\.options\.push_url: give the callback URL"):
        channels_for(load_settings(project))
