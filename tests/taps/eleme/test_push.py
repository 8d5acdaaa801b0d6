"""Ele.me retail's order pushes (docs/channels/eleme.md "Push"): the partner's signature on the platform's call, the
signed resp.<cmd> answer carrying the push's ticket, refusals that store nothing, one fetch per named order in exactly
the shape a sync lands, and the sandbox pushing through a real `orderlayer serve` with duplicates, reordering and
forged copies."""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import typing as t
from pathlib import Path
from urllib.parse import urlencode

import pytest

from orderlayer.loader.raw_store import canonical_json
from orderlayer.sandboxes.eleme import protocol as sp
from orderlayer.sandboxes.eleme.server import ElemeSandbox
from orderlayer.taps.common.push import FetchRequest, PushRejected, PushRequest
from orderlayer.taps.eleme import protocol as p
from orderlayer.taps.eleme.receiver import ElemeReceiver
from tests.support.push_serve import push_through_serve, raw_texts, serve_project
from tests.taps.eleme.kit import AS_OF, OTHER_SHOP, PII_SALT, SHOP, make_eleme, sync  # noqa: F401 - fixture
from tests.taps.meituan.kit import fast

SOURCE, SECRET, NOW = "62863", "s3cret", 1_733_025_600
CONFIG = {"source": SOURCE, "secret": SECRET, "shop_id": SHOP, "push": True, "push_max_age_seconds": 600}


def _receiver(**overrides: t.Any) -> ElemeReceiver:  # noqa: ANN401
    assert ElemeReceiver.from_config({**CONFIG, **overrides}) is not None
    return ElemeReceiver({**CONFIG, **overrides}, clock=lambda: NOW)


def _form(body: str, *, cmd: str = "order.status.push", ticket: str = "T-1", timestamp: int = NOW, secret: str = SECRET) -> dict[str, str]:
    form = {"body": body, "cmd": cmd, "encrypt": "", "source": SOURCE, "ticket": ticket, "timestamp": str(timestamp), "version": "3"}
    return {**form, "sign": sp.expected_sign(form, secret)}


def _push(form: dict[str, str]) -> PushRequest:
    return PushRequest({"content-type": "application/x-www-form-urlencoded"}, urlencode(form).encode())


def test_the_push_sign_is_the_request_rule_with_the_partner_secret() -> None:
    body = '{"order_id":"15397181282021","status":5}'
    # written out by hand from fact sheet §B2: k=v of every field but sign, plus secret, alphabetically, joined by &
    pre_hash = f"body={body}&cmd=order.status.push&encrypt=&secret=s3cret&source=62863&ticket=T-1&timestamp={NOW}&version=3"
    expected = hashlib.md5(pre_hash.encode()).hexdigest().upper()  # noqa: S324
    assert _form(body)["sign"] == expected
    fields = {k: v for k, v in _form(body).items() if k != "sign"}
    assert p.verify_push({**fields, "sign": expected.lower()}, source=SOURCE, secret=SECRET, now=NOW, max_age_seconds=600) == {"order_id": "15397181282021", "status": 5}


def test_an_order_push_is_a_fetch_request_answered_with_its_own_signed_envelope() -> None:
    receiver = _receiver()
    [item] = receiver.receive(_push(_form('{"order_id":"15397181282021","status":5}', cmd="order.create", ticket="TK-9")))
    assert isinstance(item, FetchRequest) and (item.stream, item.id) == ("orders", "15397181282021")
    answer = json.loads(receiver.accepted().body)
    assert (answer["cmd"], answer["ticket"], answer["body"]) == ("resp.order.create", "TK-9", {"errno": 0, "error": "success"})
    signed = {k: str(v) for k, v in answer.items() if k not in ("sign", "body")} | {"body": '{"errno":0,"error":"success"}'}
    assert answer["sign"] == sp.expected_sign(signed, SECRET)
    assert sp.push_acknowledged(200, receiver.accepted().body)
    [again] = receiver.receive(_push(_form('{"order_id":"15397181282021","status":5}', cmd="order.create", ticket="TK-9")))
    [other] = receiver.receive(_push(_form('{"order_id":"15397181282021","status":9}', ticket="TK-10")))
    assert again.message_id == item.message_id != other.message_id


@pytest.mark.parametrize(
    ("form", "reason"),
    [
        (_form('{"order_id":"1"}', secret="wrong"), p.PUSH_SIGNATURE),
        ({**_form('{"order_id":"1"}'), "source": "99999"}, p.PUSH_SOURCE),
        ({k: v for k, v in _form('{"order_id":"1"}').items() if k != "ticket"}, p.PUSH_MISSING),
        (_form('{"order_id":"1"}', timestamp=NOW - 601), p.PUSH_STALE),
        (_form("[1]"), p.PUSH_BODY),
    ],
    ids=["wrong-secret", "other-source", "no-ticket", "stale", "body-not-object"],
)
def test_a_push_that_fails_verification_is_refused_with_errno_minus_one(form: dict[str, str], reason: str) -> None:
    receiver = _receiver()
    with pytest.raises(PushRejected) as refused:
        receiver.receive(_push(form))
    assert str(refused.value) == reason
    answer = json.loads(receiver.rejected(reason).body)
    assert answer["body"] == {"errno": -1, "error": reason} and not sp.push_acknowledged(200, receiver.rejected(reason).body)


def test_the_window_can_be_turned_off_and_a_push_naming_no_order_stores_nothing() -> None:
    assert [r.id for r in _receiver(push_max_age_seconds=0).receive(_push(_form('{"order_id":"1"}', timestamp=NOW - 10**6)))] == ["1"]
    assert _receiver().receive(_push(_form('{"shop_id":"x"}', cmd="shop.status.push"))) == []


def test_the_receiver_exists_only_when_push_is_on_and_names_a_missing_setting() -> None:
    assert ElemeReceiver.from_config({**CONFIG, "push": False}) is None
    with pytest.raises(ValueError, match=r"^push: must be true or false, got 'false'"):
        ElemeReceiver.from_config({**CONFIG, "push": "false"})  # a quoted false must not open the channel
    with pytest.raises(ValueError, match=r"^secret: "):
        ElemeReceiver.from_config({**CONFIG, "secret": ""})


def test_a_fetched_order_is_the_record_a_sync_lands_byte_for_byte(make_eleme: t.Callable[..., ElemeSandbox]) -> None:
    sandbox = make_eleme(120)
    synced = {str(r["order_id"]): r for r in sync(sandbox).records}
    assert len(synced) >= 10 and any(r.get("part_refunds") for r in synced.values())
    receiver = ElemeReceiver.from_config(fast(sandbox, SHOP, PII_SALT, push=True))
    assert receiver is not None
    with_refunds = next(i for i, r in synced.items() if r.get("part_refunds"))
    other_shop = sandbox.generator.plans[sandbox.visible_indexes(OTHER_SHOP)[0]].order_id
    ids = [*sorted(synced)[:6], with_refunds, other_shop, "999999999"]  # the last two: not this shop's, unknown
    fetched = receiver.fetch("orders", ids)
    assert [r["order_id"] for r in fetched] == ids[:-2]
    for record in fetched:
        assert canonical_json(record) == canonical_json(synced[record["order_id"]])


def test_the_sandbox_pushes_through_serve_and_raw_ends_equal_to_a_sync(
    tmp_path: Path, make_eleme: t.Callable[..., ElemeSandbox], monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox = make_eleme(120, days=1)  # this seed's shop has orders changing in the first two days
    for key, value in {"EL_SOURCE": sandbox.source, "EL_SECRET": sandbox.secret, "ORDERLAYER_PII_SALT": PII_SALT}.items():
        monkeypatch.setenv(key, value)
    project, urls = serve_project(tmp_path, {"el": {
        "source": "eleme", "shop_id": SHOP, "base_url": sandbox.connection(SHOP)["base_url"],
        "credentials": {"source": "EL_SOURCE", "secret": "EL_SECRET"},
        "options": {"push": True, "max_requests_per_second": 10_000, "retry_base_seconds": 0.001},
    }})
    pushed = push_through_serve(project, urls["el"], sandbox, [AS_OF + dt.timedelta(hours=h) for h in (6, 12, 24, 48)], seed=7)
    db, stats = pushed.db, pushed.stats
    expected = sandbox.push_deliveries(int(AS_OF.timestamp()), sandbox.now_ts)
    assert len(expected) >= 10
    assert (stats["acknowledged"], stats["given_up"]) == (len(expected), 0)
    assert stats["duplicates"] > 0 and stats["forged_sent"] > 0 and stats["forged_accepted"] == 0

    rows = raw_texts(db, "eleme__orders")
    assert len(set(rows)) == len(rows)  # every version once
    latest = {r["order_id"]: r for r in (json.loads(text, parse_float=decimal.Decimal) for text in rows)}
    plans = {pl.order_id: pl for pl in sandbox.generator.plans}
    pushed = {d.event_ids[0].split(":")[0] for d in expected}
    assert set(latest) == {i for i in pushed if plans[i].shop == SHOP} != set()
    synced = {str(r["order_id"]): r for r in sync(sandbox).records}
    for order_id, record in latest.items():
        assert canonical_json(record) == canonical_json(synced[order_id]), order_id
