"""Unit tests of tap-taobao's pieces: the error envelope, the backward paginator, ids and personal data."""

from __future__ import annotations

import pytest

from orderlayer.taps.common.errors import SourceAPIError
from orderlayer.taps.common.paging import BackwardPage, BackwardWindowPaginator
from orderlayer.taps.common.pii import apply_pii_policy
from orderlayer.taps.common.windows import Window
from orderlayer.taps.taobao import protocol as p
from orderlayer.taps.taobao.client import Action, TopError, classify, fatal_hint
from orderlayer.taps.taobao.streams import TAOBAO_PII_POLICY, id_text, modified_epoch, trade_id, trades_of


def top_error(code: int, sub_code: str = "", sub_msg: str = "") -> TopError:
    error = TopError.from_payload({"error_response": {"code": code, "msg": p.MESSAGES.get(code, ""), "sub_code": sub_code, "sub_msg": sub_msg, "request_id": "r1"}})
    assert error is not None
    return error


@pytest.mark.parametrize(
    ("code", "sub_code", "action"),
    [
        (7, p.SUB_RATE_LIMITED, Action.RETRY),
        (10, "", Action.RETRY),
        (15, "isp.remote-service-timeout", Action.RETRY),
        (15, "isv.invalid-parameter", Action.FATAL),  # a business error: retrying cannot fix it
        (50, "isp.top-mapping-error", Action.RETRY),
        (27, p.SUB_SESSION_EXPIRED, Action.RENEW_SESSION),
        (44, "", Action.RENEW_SESSION),
        (25, "", Action.FATAL),
        (11, "", Action.FATAL),
        (41, p.SUB_INVALID_PARAMETER, Action.FATAL),
    ],
)
def test_classify(code: int, sub_code: str, action: Action) -> None:
    assert classify(top_error(code, sub_code)) is action


@pytest.mark.parametrize(
    ("code", "key"),
    [(25, "app_secret"), (29, "app_key"), (31, "NTP"), (11, "permission package"), (12, "'access_token'"), (41, "window_seconds"), (22, "base_url")],
)
def test_fatal_hints_name_the_fix(code: int, key: str) -> None:
    assert key in fatal_hint(top_error(code))


def test_error_envelope_parsing_and_description() -> None:
    assert TopError.from_payload({"trades_sold_increment_get_response": {}}) is None
    error = top_error(7, p.SUB_RATE_LIMITED, "This ban will last for 3 more seconds")
    text = error.describe(p.METHOD_INCREMENT)
    assert text.startswith("taobao.trades.sold.increment.get answered error code 7 (App Call Limited)")
    assert "sub_code accesscontrol.limited-by-app-access-count" in text and "[request_id r1]" in text
    assert TopError.from_payload({"error_response": {"code": "oops"}}).code == -1  # type: ignore[union-attr]


def trade(tid: str, modified: str) -> dict:
    return {"tid": tid, "modified": modified}


def paginator(size: int = 2, windows: tuple[Window, ...] = (Window(100, 200), Window(200, 300)), **kwargs: int) -> BackwardWindowPaginator:
    return BackwardWindowPaginator(list(windows), size, replication_value=lambda r: int(r["modified"]), key_of=lambda r: r["tid"], **kwargs)


def advance(pg: BackwardWindowPaginator) -> BackwardPage | None:
    pg.advance(None)  # type: ignore[arg-type]
    return pg.current_value


def test_single_page_window_is_emitted_at_once_oldest_first() -> None:
    pg = paginator(size=5)
    out = pg.accept_page(2, [trade("b", "150"), trade("a", "120")])
    assert [r["tid"] for r in out] == ["a", "b"]
    assert advance(pg) == BackwardPage(200, 300)


def test_multi_page_window_reads_page_one_then_last_to_first() -> None:
    pg = paginator(size=2)
    assert pg.accept_page(5, [trade("e", "190"), trade("d", "180")]) == []  # opening page 1: dropped
    assert advance(pg) == BackwardPage(100, 200, 3, probe=False)
    assert pg.expected_rows(5) == 1
    assert pg.accept_page(5, [trade("a", "110")]) == []
    assert advance(pg) == BackwardPage(100, 200, 2, probe=False)
    # a trade left the window meanwhile (total 5 -> 4): rows moved toward page 1, "b" is read twice
    assert pg.accept_page(4, [trade("b", "120"), trade("b", "120")]) == []
    assert advance(pg) == BackwardPage(100, 200, 1, probe=False)
    out = pg.accept_page(4, [trade("d", "180"), trade("c", "130")])
    assert [r["tid"] for r in out] == ["a", "b", "c", "d"]
    assert advance(pg) == BackwardPage(200, 300)
    assert pg.duplicates_dropped == 1 and pg.windows_completed == 1


def test_growing_total_rescans_the_window_and_keeps_the_newest_copy() -> None:
    pg = paginator(size=2)
    pg.accept_page(3, [trade("c", "190"), trade("b", "150")])
    advance(pg)
    assert pg.accept_page(3, [trade("a", "110")]) == []
    advance(pg)
    assert pg.accept_page(4, [trade("b", "150"), trade("a", "110")]) is None  # grew: rows were inserted, page dropped
    assert advance(pg) == BackwardPage(100, 200, 1, scan=1) and pg.rescans == 1
    out = pg.accept_page(2, [trade("c", "195"), trade("x", "170")])
    assert [(r["tid"], r["modified"]) for r in out] == [("a", "110"), ("x", "170"), ("c", "195")]


def test_window_that_keeps_growing_fails_with_the_fix() -> None:
    pg = paginator(size=1, max_stalled_rescans=2)
    total = 2
    with pytest.raises(SourceAPIError, match="safety_lag_seconds"):
        for _ in range(10):
            pg.accept_page(total, [trade("a", "150")])
            advance(pg)
            total += 1
            pg.accept_page(total, [trade("b", "140")])
            advance(pg)


def test_boundary_trade_of_an_inclusive_end_is_emitted_once() -> None:
    pg = paginator(size=5)
    assert [r["tid"] for r in pg.accept_page(2, [trade("z", "200"), trade("a", "150")])] == ["a", "z"]
    advance(pg)
    assert [r["tid"] for r in pg.accept_page(2, [trade("y", "250"), trade("z", "200")])] == ["y"]
    advance(pg)
    assert pg.finished  # no window left


def test_ids_are_text_exactly() -> None:
    assert id_text(227668460417201790) == "227668460417201790"
    assert id_text("227668460417201790") == "227668460417201790"
    assert id_text(True) is True  # not an id: left as sent
    assert trade_id({"tid": 3028689418086124, "tid_str": "3028689418086124"}) == "3028689418086124"
    assert trade_id({"tid": 9007199254740993}) == "9007199254740993"
    assert trade_id({}) is None
    assert trades_of({}) == [] and trades_of({"trades": {"trade": [1]}}) == [1]


def test_receiver_fields_are_kept_only_as_masks() -> None:
    record = {
        "receiver_name": "张三",
        "receiver_mobile": "138****1234",
        "receiver_phone": "0571-88886666",
        "receiver_address": "文一西路***号",
        "receiver_state": "浙江省",
        "nested": [{"receiver_mobile": "13812341234"}],
    }
    apply_pii_policy(record, TAOBAO_PII_POLICY, "salt")
    assert record == {
        "receiver_name": None,
        "receiver_mobile": "138****1234",
        "receiver_phone": None,
        "receiver_address": "文一西路***号",
        "receiver_state": "浙江省",
        "nested": [{"receiver_mobile": None}],
    }


def test_modified_is_read_as_beijing_time() -> None:
    assert modified_epoch({"modified": "2016-01-01 12:00:00"}) == 1451620800
    assert modified_epoch({"modified": "yesterday"}) is None and modified_epoch({}) is None
