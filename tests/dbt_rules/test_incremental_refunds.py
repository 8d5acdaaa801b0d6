"""Incremental builds equal full rebuilds for the channels whose after-sales are staged one row per record
(docs/incremental.md "Staging"): Pinduoduo, Youzan, TikTok Shop (refund streams of their own, which read the
order), Meituan and Ele.me (refund records inside the order's versions), Shopify (refunds inside the order's
versions, Returns a stream of their own: re-staged by order), with Kingdee as their ERP; and Taobao (trades staged
from every version of each: presale phases; the shops incremental by shop) and Yonyou, which no other equality test
keeps.

A smaller companion of test_incremental.py (same comparison, tests/support/incremental.py). Cycles, an incremental
build after each, every staging, audit and quarantine table compared row for row with a ``--full-refresh`` build of
the same raw data:

1. the channels' first sync (a full build); the ERP is configured but not synced yet;
2. time moves (the sandboxes' later updates and after-sales) and the ERP's first orders land
   (`first_erp_orders_landed()`: every shop-day is reconciled once);
3. after-sale records land before their orders (Pinduoduo, Youzan, TikTok Shop), an after-sale's newer version and
   a late OLDER one (it must not win: D1), Meituan and Ele.me order versions whose refund records changed;
   Shopify: a Return whose refund its order's version does not show yet (quarantined), an order whose refund
   lands without its Return, an open Return and a Return whose order never lands;
4. the orders of those after-sales land after them, and an order version that ships later than its refund was
   asked for lands after the refund (the refund's type and line come from the order); Shopify: the order version
   that shows the quarantined Return's refund, a Return landing after its order (alone: no order version), the
   open Return's later version with a disposition (received) and a late older one, the orderless Return's next
   version.

Runs in the rule tests' machine zone (America/New_York, tests/dbt_rules/conftest.py); the larger test covers UTC.
"""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

from orderlayer.core.dbt import dbt_artifacts
from orderlayer.core.demo import demo_settings, start_sandboxes
from orderlayer.core.pipeline import build
from orderlayer.loader.raw_store import raw_row
from tests.support.incremental import SandboxTime, assert_same_tables, drop_copy, full_refresh_copy, land, one, raw_records

AS_OF = datetime(2026, 11, 1, tzinfo=timezone.utc)
KEEP = ("pinduoduo_", "youzan_", "tiktok_shop_", "meituan_", "eleme_", "shopify_acme-tea-us", "taobao_", "kingdee_",
        "yonyou_")
#: (source, stream) -> (key properties, replication key), as the taps declare them
KEYS = {
    ("pinduoduo", "orders"): (["shop_id", "order_sn"], "updated_at"),
    ("pinduoduo", "refunds"): (["shop_id", "id"], "updated_time"),
    ("youzan", "orders"): (["kdt_id", "tid"], "update_time"),
    ("youzan", "refunds"): (["kdt_id", "refund_id"], "modified"),
    ("tiktok_shop", "orders"): (["shop_id", "id"], "update_time"),
    ("tiktok_shop", "returns"): (["shop_id", "return_id"], None),
    ("tiktok_shop", "cancellations"): (["shop_id", "cancel_id"], None),
    ("meituan", "orders"): (["app_poi_code", "order_id"], "utime"),
    ("eleme", "orders"): (["shop_id", "order_id"], "create_time"),
    ("shopify", "orders"): (["shop_id", "id"], "updated_at"),
    ("shopify", "returns"): (["shop_id", "id"], "updated_at"),
}


#: the staging models this test is about: each must have run incrementally (read its landing window) in cycles 3-4
STAGED = ("stg_pinduoduo__refunds", "stg_youzan__refunds", "stg_tiktok_shop__refunds", "stg_meituan__refunds",
          "stg_eleme__refunds", "stg_shopify__refunds")


def _ran_incrementally(db: Path) -> set[str]:
    """The models of the last dbt command on `db` whose compiled SQL read raw rows by the landing window
    (`raw_records()` marks that branch with an `-- incremental` comment; a full build never takes it)."""
    results = json.loads((dbt_artifacts(db)[0] / "run_results.json").read_text(encoding="utf-8"))["results"]
    return {r["unique_id"].rsplit(".", 1)[-1] for r in results if "-- incremental" in (r.get("compiled_code") or "")}


def _text_time(value: str, seconds: int) -> str:
    """A naive 'YYYY-MM-DD HH:MM:SS' time `seconds` later."""
    return (datetime.strptime(value, "%Y-%m-%d %H:%M:%S") + timedelta(seconds=seconds)).strftime("%Y-%m-%d %H:%M:%S")


def _iso_later(value: str, seconds: int) -> str:
    """An ISO-8601 time (any offset) `seconds` later, in UTC as Shopify's GraphQL writes it."""
    moved = datetime.fromisoformat(value.replace("Z", "+00:00")) + timedelta(seconds=seconds)
    return moved.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _shopify_order(order: dict, order_id: int, refund_id: int | None, before: str | None = None) -> dict:
    """A copy of a Shopify order (one refund) as order `order_id`: its refund as `refund_id`, or, with `before`, the
    version updated then, paid and not refunded yet (no refund in it)."""
    (refund,) = order["refunds"]
    text = json.dumps(order).replace(str(order["id"]), str(order_id))
    if refund_id is not None:
        return json.loads(text.replace(str(refund["id"]), str(refund_id)))
    return {**json.loads(text), "refunds": [], "financial_status": "paid", "updated_at": before}


def _shopify_return(ret: dict, return_id: int, order_id: int, refund_id: int | None,
                    dispositions: list[str] | None = None, updated_at: str | None = None) -> dict:
    """A copy of a refunded Shopify Return as Return `return_id` of order `order_id`: settled by `refund_id`, or,
    without one, still open with `dispositions` recorded on its goods (none: not received yet)."""
    text = json.dumps(ret).replace(ret["id"], str(return_id)).replace(ret["order_id"], str(order_id))
    (refund,) = ret["refunds"]["nodes"]
    if refund_id is not None:
        text = text.replace(refund["id"].rsplit("/", 1)[1], str(refund_id))
    copy_ = json.loads(text)
    if refund_id is None:
        copy_["status"] = "OPEN"
        copy_["closedAt"] = None
        copy_["refunds"] = {"nodes": []}
        for node in copy_["reverseFulfillmentOrders"]["nodes"]:
            node["status"] = "CLOSED" if dispositions else "OPEN"
            for item in node["lineItems"]["nodes"]:
                item["dispositions"] = [{"quantity": item["totalQuantity"], "type": t} for t in dispositions or []]
    return {**copy_, "updated_at": updated_at or ret["updated_at"]}


def _iso_instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


SHOPIFY_UNSETTLED = ("refunds.nodes of the Return not in its order's latest version "
                     "(order not landed or not re-read yet)")


def _return_hash(record: dict) -> str:
    """The raw row (= raw_record_id) of a Shopify Return version, as the loader stores it."""
    return raw_row("returns", record, KEYS[("shopify", "returns")][0], "updated_at", None).digest


def _latest(records: list[dict], key: str, time_key: str, parse=str) -> dict[str, dict]:  # noqa: ANN001
    latest: dict[str, dict] = {}
    for r in records:
        k = str(r[key])
        if k not in latest or parse(r[time_key]) >= parse(latest[k][time_key]):
            latest[k] = r
    return latest


def test_incremental_refund_staging_equals_full_rebuilds(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    db = work / "inc.duckdb"
    with start_sandboxes(seed=5, as_of=AS_OF, orders=40, shops=1, work=work) as world:
        settings = demo_settings(world, db)
        keep = {n: c for n, c in settings.connections.items() if n.startswith(KEEP)}
        assert len(keep) == len(KEEP), sorted(keep)
        connection = {c.source: n for n, c in keep.items()}
        settings = settings.model_copy(update={"connections": keep})
        sandboxes = [s for spec, s in world.channels if spec.source in connection]
        sandboxes += [s for spec, s, _ in world.erps if spec.source in connection]
        timeline = SandboxTime(settings, db, sandboxes, AS_OF)
        cycle = 0
        manual = 0

        def put(source: str, stream: str, records: list[dict]) -> int:
            nonlocal manual
            manual += 1
            keys, replication = KEYS[(source, stream)]
            return land(db, source, connection[source], stream, records, keys, replication, f"manual-{manual}")

        def build_and_compare(expect_mode: str) -> None:
            nonlocal cycle
            cycle += 1
            outcome = build(settings, db)
            assert outcome.plan.mode == expect_mode, outcome.reason
            full = full_refresh_copy(settings, db, work / "full" / "full.duckdb")
            rows = assert_same_tables(db, full, ("staging", "audit", "quarantine"), f"cycle {cycle} ({outcome.reason})")
            assert rows > 0
            drop_copy(full)

        def refund(channel: str, refund_id: str) -> tuple | None:
            return one(
                db,
                "select refund_type, channel_line_id, status from staging.stg_" + channel + "__refunds where refund_id = ?",
                [refund_id],
            )

        # 1. the channels' first sync: a full build, nothing reconciled (no ERP order yet)
        channels = [n for n in keep if not n.startswith(("kingdee_", "yonyou_"))]
        timeline.sync(channels)
        build_and_compare("full")
        assert one(db, "select count(*) from audit.fct_reconciliation_daily where erp_orders > 0")[0] == 0

        # 2. time moves and the ERP's first orders land: an incremental build reconciles every shop-day once
        timeline.advance(30)
        timeline.sync()
        build_and_compare("incremental")
        assert one(db, "select count(*) from audit.fct_reconciliation_daily where erp_orders > 0")[0] > 0

        # 3. after-sales before their orders, an after-sale's newer and late older versions, order versions whose
        #    embedded refund records changed
        pdd_orders = _latest(raw_records(db, "pinduoduo__orders"), "order_sn", "updated_at")
        pdd_refunds = _latest(raw_records(db, "pinduoduo__refunds"), "id", "updated_time")
        # a refund-only after-sale of a shipped order: its order comes back later, shipped after the request
        pdd_late = next(
            r for r in sorted(pdd_refunds.values(), key=lambda r: r["id"])
            if str(r["after_sales_type"]) == "2" and pdd_orders[r["order_sn"]]["shipping_time"]
        )
        pdd_new = {**copy.deepcopy(pdd_late), "id": "9100000001", "order_sn": "261020-900000000000001"}
        pdd_newer = {**copy.deepcopy(pdd_late), "updated_time": _text_time(pdd_late["updated_time"], 3600),
                     "after_sale_reason": "重新申请"}
        pdd_older = {**copy.deepcopy(pdd_late), "updated_time": _text_time(pdd_late["updated_time"], -7200),
                     "after_sales_status": 2}
        assert put("pinduoduo", "refunds", [pdd_new, pdd_newer, pdd_older]) == 3

        yz_orders = _latest(raw_records(db, "youzan__orders"), "tid", "update_time")
        yz_refunds = _latest(raw_records(db, "youzan__refunds"), "refund_id", "modified")
        yz_late = sorted(yz_refunds.values(), key=lambda r: r["refund_id"])[0]
        yz_new = {**copy.deepcopy(yz_late), "refund_id": "9200000000000000001", "tid": "E20261020000000000000001",
                  "return_goods": False}
        yz_newer = {**copy.deepcopy(yz_late), "modified": _text_time(yz_late["modified"], 3600), "status": "CLOSED"}
        assert put("youzan", "refunds", [yz_new, yz_newer]) == 2

        tt_orders = _latest(raw_records(db, "tiktok_shop__orders"), "id", "update_time", int)
        tt_returns = _latest(raw_records(db, "tiktok_shop__returns"), "return_id", "update_time", int)
        # a return of one order line: the new one (same units) must get that line once its order lands
        tt_late = tt_returns[one(
            db, "select min(refund_id) from staging.stg_tiktok_shop__refunds where refund_id in (select unnest(?)) "
            "and channel_line_id is not null", [sorted(tt_returns)])[0]]
        tt_new = {**copy.deepcopy(tt_late), "return_id": "9300000000000000001", "order_id": "9300000000000000002"}
        tt_cancellations = _latest(raw_records(db, "tiktok_shop__cancellations"), "cancel_id", "update_time", int)
        tt_cancel = sorted(tt_cancellations.values(), key=lambda r: r["cancel_id"])[0]
        tt_cancel_newer = {**copy.deepcopy(tt_cancel), "update_time": int(tt_cancel["update_time"]) + 3600,
                           "cancel_status": "CANCELLATION_REQUEST_CANCEL"}
        assert put("tiktok_shop", "returns", [tt_new]) == 1
        assert put("tiktok_shop", "cancellations", [tt_cancel_newer]) == 1

        mt_orders = _latest(raw_records(db, "meituan__orders"), "order_id", "utime", int)
        mt = next(o for _, o in sorted(mt_orders.items()) if o.get("refund_records"))
        mt_newer = copy.deepcopy(mt)
        mt_newer["utime"] = int(mt["utime"]) + 3600
        mt_newer["refund_records"][0] = {**mt["refund_records"][0], "utime": int(mt["refund_records"][0]["utime"]) + 3600,
                                         "res_type": 3, "res_reason": "商家驳回"}
        mt_older = copy.deepcopy(mt)
        mt_older["utime"] = int(mt["utime"]) - 60
        mt_older["refund_records"][0] = {**mt["refund_records"][0], "utime": int(mt["refund_records"][0]["utime"]) - 60,
                                         "money": 1.0}
        assert put("meituan", "orders", [mt_newer, mt_older]) == 2

        el_orders = _latest(raw_records(db, "eleme__orders"), "order_id", "create_time", int)
        el = next(o for _, o in sorted(el_orders.items()) if o.get("part_refunds"))
        el_newer = copy.deepcopy(el)
        el_newer["order"] = {**el["order"], "update_time": str(int(el["part_refunds"][0]["update_time"]) + 3600)}
        el_newer["part_refunds"][0] = {**el["part_refunds"][0], "update_time": str(int(el["part_refunds"][0]["update_time"]) + 3600),
                                       "status": 30}
        assert put("eleme", "orders", [el_newer]) == 1

        # Shopify, from a refunded Return and its order's version that shows the refund (copies with new ids):
        # A: the Return lands with a version of its order from before the refund (quarantined: its refund is not
        #    in the order yet); C: an order with the refund, its Return not landed; D: an open Return, goods not
        #    received yet; E: a Return whose order never lands
        sp_returns = _latest(raw_records(db, "shopify__returns"), "id", "updated_at", _iso_instant)
        sp_orders = _latest(raw_records(db, "shopify__orders"), "id", "updated_at", _iso_instant)
        sp_return = next(
            r for _, r in sorted(sp_returns.items()) if r["status"] == "CLOSED" and r["order_id"] in sp_orders
            and [n["id"].rsplit("/", 1)[1] for n in r["refunds"]["nodes"]]
            == [str(f["id"]) for f in sp_orders[r["order_id"]]["refunds"]]
            and len(r["refunds"]["nodes"]) == 1
        )
        sp_order = sp_orders[sp_return["order_id"]]
        ids = {k: 9_007_199_254_790_000 + n for n, k in enumerate("ACDE", 1)}
        rids = {k: 9_900_000_090_000 + n for n, k in enumerate("ACDE", 1)}
        a_before = _shopify_order(sp_order, ids["A"], None, before=sp_return["createdAt"])
        a_return = _shopify_return(sp_return, rids["A"], ids["A"], 9_600_000_090_001)
        c_order = _shopify_order(sp_order, ids["C"], 9_600_000_090_002)
        d_order = _shopify_order(sp_order, ids["D"], None, before=sp_return["createdAt"])
        d_open = _shopify_return(sp_return, rids["D"], ids["D"], None, updated_at=sp_return["createdAt"])
        e_return = _shopify_return(sp_return, rids["E"], ids["E"], None, updated_at=sp_return["createdAt"])
        assert put("shopify", "orders", [a_before, c_order, d_order]) == 3
        assert put("shopify", "returns", [a_return, d_open, e_return]) == 3
        build_and_compare("incremental")
        assert set(STAGED) <= _ran_incrementally(db)
        # the late older versions did not win; the new ones did; an after-sale without its order has no line yet
        assert one(db, "select status_native, reason_text from staging.stg_pinduoduo__refunds where refund_id = ?",
                   [pdd_late["id"]]) == (str(pdd_late["after_sales_status"]), "重新申请")
        assert refund("pinduoduo", pdd_new["id"])[:2] == ("refund_only", None)
        assert refund("youzan", yz_late["refund_id"])[2] == "cancelled"
        assert refund("youzan", yz_new["refund_id"])[0] == "refund_only"
        assert refund("tiktok_shop", tt_cancel["cancel_id"])[2] == "cancelled"
        assert refund("tiktok_shop", tt_new["return_id"])[1] is None
        assert one(db, "select count(*) from staging.stg_meituan__refunds where refund_id = ? and status = 'rejected'",
                   [str(mt["refund_records"][0]["refund_id"])]) == (1,)
        assert one(db, "select raw_record_id, quarantine_reason from staging.stg_shopify__refunds where refund_id = ?",
                   [str(rids["A"])]) == (_return_hash(a_return), SHOPIFY_UNSETTLED)
        # the refund of C names no Return yet: no parcel, no reason
        assert one(db, "select refund_type, after_sale_record_id, return_tracking_number, reason_code "
                   "from staging.stg_shopify__refunds where refund_id = '9600000090002'") == (
            "return_and_refund", None, None, None)
        assert one(db, "select status, return_received_at, is_restocked, quarantine_reason from staging.stg_shopify__refunds "
                   "where refund_id = ?", [str(rids["D"])]) == ("approved", None, None, None)
        assert one(db, "select quarantine_reason from staging.stg_shopify__refunds where refund_id = ?",
                   [str(rids["E"])]) == ("order line of a returned item not landed (amount unknown)",)

        # 4. the orders land after their after-sales, and an order version later than its refund
        pdd_order = {**copy.deepcopy(pdd_orders[pdd_late["order_sn"]]), "order_sn": pdd_new["order_sn"],
                     "shipping_time": "", "updated_at": _text_time(pdd_late["created_time"], -60)}
        pdd_shipped_late = {**copy.deepcopy(pdd_orders[pdd_late["order_sn"]]),
                            "shipping_time": _text_time(pdd_late["created_time"], 60),
                            "updated_at": _text_time(pdd_orders[pdd_late["order_sn"]]["updated_at"], 600)}
        assert put("pinduoduo", "orders", [pdd_order, pdd_shipped_late]) == 2
        yz_order = {**copy.deepcopy(yz_orders[yz_late["tid"]]), "tid": yz_new["tid"]}
        assert put("youzan", "orders", [yz_order]) == 1
        tt_order = {**copy.deepcopy(tt_orders[tt_late["order_id"]]), "id": tt_new["order_id"]}
        assert put("tiktok_shop", "orders", [tt_order]) == 1
        # Shopify: A's version with the refund; C's Return alone (no order version: its refund's row changes all
        # the same); D's Return received (restocked) and a late older version already received (not restocked);
        # E's Return again, later (its order still not landed)
        a_refunded = _shopify_order(sp_order, ids["A"], 9_600_000_090_001)
        c_return = _shopify_return(sp_return, rids["C"], ids["C"], 9_600_000_090_002)
        d_restocked = _shopify_return(sp_return, rids["D"], ids["D"], None, ["RESTOCKED"],
                                      updated_at=_iso_later(sp_return["createdAt"], 7200))
        d_received_first = _shopify_return(sp_return, rids["D"], ids["D"], None, ["NOT_RESTOCKED"],
                                           updated_at=_iso_later(sp_return["createdAt"], 3600))
        e_later = {**e_return, "updated_at": _iso_later(sp_return["createdAt"], 3600)}
        assert put("shopify", "orders", [a_refunded]) == 1
        assert put("shopify", "returns", [c_return, d_restocked, d_received_first, e_later]) == 4
        build_and_compare("incremental")
        assert {"stg_pinduoduo__refunds", "stg_youzan__refunds", "stg_tiktok_shop__refunds"} <= _ran_incrementally(db)
        # the order decides: not shipped when the refund was asked for -> a cancel-refund, and the sku's line
        assert refund("pinduoduo", pdd_new["id"])[0] == "cancel_refund"
        assert refund("pinduoduo", pdd_late["id"])[0] == "cancel_refund"
        assert refund("tiktok_shop", tt_new["return_id"])[1] == refund("tiktok_shop", tt_late["return_id"])[1] is not None
        assert "stg_shopify__refunds" in _ran_incrementally(db)
        # A: the refund now in its order settles the Return, which has no row of its own any more
        assert one(db, "select after_sale_record_id, quarantine_reason from staging.stg_shopify__refunds "
                   "where refund_id = '9600000090001'") == (_return_hash(a_return), None)
        assert one(db, "select count(*) from staging.stg_shopify__refunds where refund_id = ?", [str(rids["A"])]) == (0,)
        # C: the Return landed alone gives its refund its parcel, reason and goods, down to the marts
        reverse = sp_return["reverseFulfillmentOrders"]["nodes"][0]
        parcel = reverse["reverseDeliveries"]["nodes"][0]["deliverable"]["tracking"]
        assert one(db, "select after_sale_record_id, return_tracking_number, reason_code from staging.stg_shopify__refunds "
                   "where refund_id = '9600000090002'") == (
            _return_hash(c_return), parcel["number"], sp_return["returnLineItems"]["nodes"][0]["returnReason"])
        assert one(db, "select return_tracking_number from audit.fct_returns where refund_id = '9600000090002'") == (
            parcel["number"],)
        # D: received when a version first showed a disposition (the late older one), restocked as the latest says
        assert one(db, "select status, return_received_at, is_restocked from staging.stg_shopify__refunds where refund_id = ?",
                   [str(rids["D"])]) == ("approved", _iso_instant(d_received_first["updated_at"]), True)
        # E: one row, the later version's
        assert one(db, "select count(*), min(raw_record_id) from staging.stg_shopify__refunds where refund_id = ?",
                   [str(rids["E"])]) == (1, _return_hash(e_later))
