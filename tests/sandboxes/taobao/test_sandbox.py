"""The Taobao sandbox speaks TOP: checks, limits, ordering, fields, tokens, faults; the generator is deterministic."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections import Counter
from decimal import Decimal

import pytest
import requests
from tests.taps.taobao.kit import APP_KEY, APP_SECRET, AS_OF, SHOP, TMALL_SHOP, Factory, taobao_sandbox  # noqa: F401 - fixture

from orderlayer.taps.taobao import protocol as p
from orderlayer.sandboxes.taobao import TaobaoSandbox
from orderlayer.sandboxes.taobao.generator import BOUNDARY_TIDS, TradeGenerator

KEY = p.response_key(p.METHOD_INCREMENT)


def call(sandbox: TaobaoSandbox, business: dict, *, secret: str = APP_SECRET, session: str | None = None, timestamp: str | None = None, sign_method: str = "md5") -> dict:
    """One signed TOP call, built by hand (independent of the tap's authenticator)."""
    system = {
        "method": p.METHOD_INCREMENT,
        "app_key": APP_KEY,
        "session": session if session is not None else sandbox.access_token(SHOP),
        "timestamp": timestamp or p.format_time(int(time.time())),
        "format": "json",
        "v": "2.0",
        "sign_method": sign_method,
    }
    system["sign"] = p.sign({**system, **business}, secret, sign_method)
    response = requests.post(sandbox.base_url + p.ROUTER_PATH, params=system, data=business, timeout=5)
    assert response.status_code == 200
    return json.loads(response.content)


def window(sandbox: TaobaoSandbox, hours: int = 24, **extra: object) -> dict:
    end = sandbox.now_ts + 1
    return {
        "fields": "tid,modified,type,status,orders",
        "start_modified": p.format_time(end - hours * 3600),
        "end_modified": p.format_time(end),
        **{k: str(v) for k, v in extra.items()},
    }


def error(answer: dict) -> tuple[int, str]:
    body = answer["error_response"]
    return body["code"], body.get("sub_code", "")


# --------------------------------------------------------------------------- protocol checks
def test_signature_secret_timestamp_and_session_are_checked(taobao_sandbox: Factory) -> None:  # noqa: F811
    sandbox = taobao_sandbox(30)
    assert KEY in call(sandbox, window(sandbox))
    assert error(call(sandbox, window(sandbox), secret="wrong")) == (25, "")
    skewed = p.format_time(int(time.time()) - 11 * 60)
    assert error(call(sandbox, window(sandbox), timestamp=skewed))[0] == 31
    assert error(call(sandbox, window(sandbox), session="not-a-session")) == (27, "invalid-sessionkey")
    assert error(call(sandbox, window(sandbox), session="")) == (26, "")
    answer = call(sandbox, window(sandbox), secret="wrong")
    assert answer["error_response"]["msg"] == "Invalid Signature" and answer["error_response"]["request_id"]


def test_window_page_and_field_limits(taobao_sandbox: Factory) -> None:  # noqa: F811
    sandbox = taobao_sandbox(30)
    too_long = call(sandbox, window(sandbox, hours=24) | {"start_modified": p.format_time(sandbox.now_ts - 86_400)})
    assert error(too_long) == (41, p.SUB_INVALID_PARAMETER) and "一天" in too_long["error_response"]["sub_msg"]
    assert error(call(sandbox, window(sandbox, page_size=101)))[0] == 41
    assert error(call(sandbox, window(sandbox, page_no=0)))[0] == 41
    assert error(call(sandbox, {k: v for k, v in window(sandbox).items() if k != "fields"}))[0] == 40
    reversed_window = window(sandbox) | {"end_modified": window(sandbox)["start_modified"]}
    assert error(call(sandbox, reversed_window))[0] == 41


def test_trades_come_newest_first_in_offset_pages_with_a_total(taobao_sandbox: Factory) -> None:  # noqa: F811
    sandbox = taobao_sandbox(300, shop_ids=(SHOP,))
    params = window(sandbox, hours=24, type="fixed,guarantee_trade,step,cod,tmall_i18n", page_size=7)
    first = call(sandbox, params)[KEY]
    total = first["total_results"]
    assert total > 14
    pages = [call(sandbox, params | {"page_no": str(k)})[KEY] for k in range(1, -(-total // 7) + 1)]
    rows = [t for page in pages for t in page.get("trades", {}).get("trade", [])]
    assert len(rows) == total and all(page["total_results"] == total for page in pages)
    modified = [t["modified"] for t in rows]
    assert modified == sorted(modified, reverse=True)
    beyond = call(sandbox, params | {"page_no": str(len(pages) + 1)})[KEY]
    assert "trades" not in beyond and beyond["total_results"] == total  # TOP omits an empty list
    has_next = call(sandbox, params | {"use_has_next": "true"})[KEY]
    assert has_next["has_next"] is True and "total_results" not in has_next


def test_default_types_and_fields_selection(taobao_sandbox: Factory) -> None:  # noqa: F811
    sandbox = taobao_sandbox(300, shop_ids=(SHOP,))
    wide = window(sandbox, hours=24, type="fixed,guarantee_trade,step,cod,tmall_i18n", page_size=100)
    everything = call(sandbox, wide)[KEY]["trades"]["trade"]
    defaults = call(sandbox, {k: v for k, v in wide.items() if k != "type"})[KEY].get("trades", {}).get("trade", [])
    assert {t["type"] for t in everything} >= {"fixed", "guarantee_trade"}
    assert {t["type"] for t in defaults} <= {"guarantee_trade", "auto_delivery", "ec", "cod", "step"}
    assert len(defaults) < len(everything)
    narrow = call(sandbox, wide | {"fields": "tid,modified,orders.oid,orders.refund_status"})[KEY]["trades"]["trade"]
    assert all(set(t) <= {"tid", "modified", "orders"} for t in narrow)
    assert all(set(o) == {"oid", "refund_status"} for t in narrow for o in t["orders"]["order"])


def test_session_renewal_issues_new_tokens_once_per_refresh_token(taobao_sandbox: Factory) -> None:  # noqa: F811
    sandbox = taobao_sandbox(10)
    refresh = sandbox.refresh_token(SHOP)
    form = {"grant_type": "refresh_token", "refresh_token": refresh, "client_id": APP_KEY, "client_secret": APP_SECRET}
    first = requests.post(sandbox.base_url + "/token", data=form, timeout=5)
    assert first.status_code == 200
    tokens = first.json()
    assert tokens["access_token"] == sandbox.access_token(SHOP) and tokens["refresh_token"] != refresh
    again = requests.post(sandbox.base_url + "/token", data=form, timeout=5)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    wrong = requests.post(sandbox.base_url + "/token", data=form | {"client_secret": "x"}, timeout=5)
    assert wrong.status_code == 401
    assert KEY in call(sandbox, window(sandbox), session=tokens["access_token"])


def test_expiry_rate_limit_busy_and_permission_faults(taobao_sandbox: Factory) -> None:  # noqa: F811
    sandbox = taobao_sandbox(10, ban_seconds=7)
    sandbox.expire_tokens()
    assert error(call(sandbox, window(sandbox))) == (27, p.SUB_SESSION_EXPIRED)
    sandbox.set_faults(rate_limit_next=1, busy_next=1)
    fresh = sandbox.tokens.issue(SHOP)[0]  # a new session (the old one stays expired)
    limited = call(sandbox, window(sandbox), session=fresh)["error_response"]
    assert limited["code"] == 7 and p.ban_seconds(limited["sub_msg"]) == 7
    assert error(call(sandbox, window(sandbox), session=fresh)) == (15, p.SUB_SERVICE_BUSY)
    sandbox.set_faults(deny_permission=True)
    assert error(call(sandbox, window(sandbox), session=fresh))[0] == 11


def test_app_qps_budget_answers_code_7(taobao_sandbox: Factory) -> None:  # noqa: F811
    sandbox = taobao_sandbox(10, qps=3)
    codes = [call(sandbox, window(sandbox)).get("error_response", {}).get("code", 0) for _ in range(6)]
    assert codes[:3] == [0, 0, 0] and 7 in codes[3:]


def test_truncated_body_and_short_page_faults(taobao_sandbox: Factory) -> None:  # noqa: F811
    sandbox = taobao_sandbox(200, shop_ids=(SHOP,))
    params = window(sandbox, hours=24, type="fixed,guarantee_trade,step,cod,tmall_i18n", page_size=3)
    sandbox.set_faults(truncate_next=1)
    system = {"method": p.METHOD_INCREMENT, "app_key": APP_KEY, "session": sandbox.access_token(SHOP), "timestamp": p.format_time(int(time.time())), "format": "json", "v": "2.0", "sign_method": "md5"}
    system["sign"] = p.sign({**system, **params}, APP_SECRET)
    cut = requests.post(sandbox.base_url + p.ROUTER_PATH, params=system, data=params, timeout=5)
    with pytest.raises(json.JSONDecodeError):
        json.loads(cut.content)
    sandbox.set_faults(short_page_next=1)
    short = call(sandbox, params)[KEY]
    assert short["total_results"] >= 3 and len(short["trades"]["trade"]) == 2


def test_http_503_fault(taobao_sandbox: Factory) -> None:  # noqa: F811
    sandbox = taobao_sandbox(10)
    sandbox.set_faults(http_503_next=1)
    response = requests.post(sandbox.base_url + p.ROUTER_PATH, timeout=5)
    assert response.status_code == 503 and b"503" in response.content


# --------------------------------------------------------------------------- the generator
def test_generator_is_deterministic_and_covers_the_lifecycle() -> None:
    shops = [SHOP, TMALL_SHOP, "573003"]
    one = TradeGenerator(5, AS_OF, 200, shops)
    two = TradeGenerator(5, AS_OF, 200, shops)
    now = one.as_of_ts
    assert [one.trade(i, now) for i in range(200)] == [two.trade(i, now) for i in range(200)]
    assert TradeGenerator(6, AS_OF, 200, shops).trade(10, now) != one.trade(10, now)
    statuses = Counter(one.status_at(i, now) for i in range(200))
    assert {"WAIT_BUYER_PAY", "WAIT_SELLER_SEND_GOODS", "WAIT_BUYER_CONFIRM_GOODS", "TRADE_FINISHED", "TRADE_CLOSED", "TRADE_CLOSED_BY_TAOBAO"} <= set(statuses)
    earlier = AS_OF.timestamp() - 25 * 86_400
    more = Counter(one.status_at(i, int(earlier)) for i in range(200) if one.timeline(i).created <= earlier)
    assert {"SELLER_CONSIGNED_PART", "PAID_FORBID_CONSIGN", "TRADE_BUYER_SIGNED"} & (set(statuses) | set(more))
    assert {one.shop_of(i) for i in range(200)} == set(shops)
    assert [one.tid_of(i) for i in range(3)] == list(BOUNDARY_TIDS)
    assert len({one.tid_of(i) for i in range(200)}) == 200
    assert all(len(one.tid_of(i)) == 18 for i in range(3, 200))


def test_generated_amounts_add_up_in_yuan() -> None:
    gen = TradeGenerator(9, AS_OF, 150, [SHOP])
    for i in range(150):
        trade = gen.trade(i, gen.as_of_ts)
        goods, discount = Decimal(trade["total_fee"]), Decimal(trade["discount_fee"])
        freight, tax = Decimal(trade["post_fee"]), Decimal(trade.get("order_tax_fee", "0"))
        assert Decimal(trade["payment"]) == goods - discount + freight + tax
        lines = trade["orders"]["order"]
        assert sum(Decimal(o["price"]) * o["num"] for o in lines) == goods
        assert sum(Decimal(o["divide_order_fee"]) for o in lines) == goods - discount
        assert all(len(o["price"].split(".")[1]) == 2 for o in lines)


def test_presale_refund_and_late_updates_over_time() -> None:
    gen = TradeGenerator(3, AS_OF, 400, [SHOP])
    now = gen.as_of_ts
    presale = [i for i in range(400) if gen.timeline(i).scenario == "presale_paid"]
    i = presale[0]
    tl = gen.timeline(i)
    before_balance = gen.trade(i, tl.events["balance"] - 1)
    after_balance = gen.trade(i, tl.events["balance"])
    assert before_balance["step_trade_status"] == "FRONT_PAID_FINAL_NOPAID" and before_balance["status"] == "WAIT_BUYER_PAY"
    assert Decimal(before_balance["step_paid_fee"]) == tl.deposit > 0
    assert after_balance["step_trade_status"] == "FRONT_PAID_FINAL_PAID" and after_balance["step_paid_fee"] == after_balance["payment"]
    assert after_balance["modified"] > before_balance["modified"]
    refunded = next(k for k in range(400) if gen.timeline(k).scenario == "refund_before_ship" and gen.timeline(k).events["close"] <= now)
    trade = gen.trade(refunded, now)
    assert trade["status"] == "TRADE_CLOSED" and all(o["refund_status"] == "SUCCESS" for o in trade["orders"]["order"])
    open_case = next(k for k in range(400) if gen.timeline(k).scenario == "aftersale_open" and gen.timeline(k).events["refund_apply"] <= now)
    assert gen.trade(open_case, now)["orders"]["order"][0]["refund_status"] in ("WAIT_SELLER_AGREE", "WAIT_BUYER_RETURN_GOODS")
    # advancing the clock changes some trades (late updates) and never moves `modified` backwards
    later = now + 5 * 86_400
    changed = [k for k in range(400) if gen.modified_at(k, later) != gen.modified_at(k, now)]
    assert changed and all(gen.modified_at(k, later) > gen.modified_at(k, now) for k in changed)


def test_numeric_ids_tmall_shops_and_planted_pii_on_the_wire(taobao_sandbox: Factory) -> None:  # noqa: F811
    sandbox = taobao_sandbox(200, shop_ids=(SHOP, TMALL_SHOP), days=30)
    raw = requests.Session()
    body = window(sandbox, hours=24, type="fixed,guarantee_trade,step,cod,tmall_i18n", page_size=100)
    body["fields"] += ",receiver_mobile,receiver_city,receiver_district"
    texts = []
    for shop in (SHOP, TMALL_SHOP):
        for day in range(30):
            end = sandbox.now_ts + 1 - day * 86_400
            params = body | {"start_modified": p.format_time(end - 86_400), "end_modified": p.format_time(end)}
            system = {"method": p.METHOD_INCREMENT, "app_key": APP_KEY, "session": sandbox.access_token(shop), "timestamp": p.format_time(int(time.time())), "format": "json", "v": "2.0", "sign_method": "md5"}
            system["sign"] = p.sign({**system, **params}, APP_SECRET)
            texts.append(raw.post(sandbox.base_url + p.ROUTER_PATH, params=system, data=params, timeout=5).text)
    wire = "".join(texts)
    assert '"tid":9007199254740993' in wire  # a JSON number beyond 2**53, written digit for digit
    assert '"seller_type":"B"' in wire and '"seller_type":"C"' in wire
    gen = sandbox.generator
    planted = [i for i in range(200) if gen.has_plaintext_pii(i)]
    assert planted and all(gen.plaintext_receiver(i)["receiver_mobile"] in wire for i in planted)
    assert '"receiver_city":"","receiver_district":"济源市"' in wire  # a county-level city (fact sheet §5 quirk)


def test_order_facts_and_public_interface(taobao_sandbox: Factory) -> None:  # noqa: F811
    sandbox = taobao_sandbox(80)
    facts = list(sandbox.order_facts())
    assert len(facts) == 80 and {f.shop_id for f in facts} == {SHOP, TMALL_SHOP}
    assert {f.status for f in facts} <= {"pending_payment", "paid", "shipped", "completed", "cancelled"}
    assert all(f.channel == "taobao" and f.currency == "CNY" and f.refund_amount <= f.paid_amount for f in facts)
    assert sandbox.start_ts == min(f.ordered_at.timestamp() for f in facts)
    config = sandbox.tap_config(SHOP)
    assert set(TaobaoSandbox.SECRET_CONFIG_KEYS) <= set(config)
    assert dt.datetime.fromisoformat(config["end_date"]).timestamp() == sandbox.now_ts + 1
    assert config["token_url"].endswith("/token") and config["base_url"] == sandbox.base_url
