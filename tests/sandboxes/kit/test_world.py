"""The order world the channel generators share: its validation and the deterministic helpers."""

from __future__ import annotations

import datetime as dt

import pytest

from orderlayer.sandboxes.kit.synth import SHANGHAI, digest
from orderlayer.sandboxes.kit.world import DAY, Draws, OrderWorld, local_midnight, shop_cuts

AS_OF = dt.datetime(2024, 12, 1, tzinfo=dt.timezone.utc)


def test_the_world_spans_days_before_its_clock() -> None:
    world = OrderWorld(7, AS_OF, 10, [101, "102"], days=3)
    assert (world.seed, world.n_orders, world.shop_ids, world.as_of) == (7, 10, ["101", "102"], AS_OF)
    assert world.window_start_ts == 1_733_011_200 - 3 * DAY


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((dt.datetime(2024, 12, 1), 1, ["1"]), {}, "timezone-aware"),  # noqa: DTZ001 - the naive clock refused
        ((AS_OF, -1, ["1"]), {}, "n_orders must be >= 0"),
        ((AS_OF, 1, []), {}, "at least one shop id"),
    ],
)
def test_bad_worlds_are_refused(args: tuple, kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        OrderWorld(7, *args, **kwargs)


class NumericShops(OrderWorld):
    shop_id_rule = (str.isdigit, "ids are numeric")


def test_a_generator_declares_its_shop_id_format() -> None:
    assert NumericShops(7, AS_OF, 1, ["1", "22"]).shop_ids == ["1", "22"]
    with pytest.raises(ValueError, match="ids are numeric; got 'x'"):
        NumericShops(7, AS_OF, 1, ["1", "x"])


def test_shop_cuts_weigh_shops_1_half_third() -> None:
    assert shop_cuts(1) == [10_000]
    assert shop_cuts(3) == [5455, 8182, 10_000]  # 1, 1/2, 1/3 of 11/6, cumulated (hand-checked)


def test_local_midnight() -> None:
    # 2024-12-01 03:00 UTC is 11:00 in Shanghai; that day began at 2024-11-30 16:00 UTC
    assert local_midnight(1_733_022_000, SHANGHAI) == 1_732_982_400


def test_draws_are_the_digits_of_one_digest() -> None:
    draws = Draws(7, 3, b"purpose")
    rest = digest(7, 3, b"purpose")
    expected = []
    for mod in (10, 1000, 7):
        rest, value = divmod(rest, mod)
        expected.append(value)
    assert [draws.take(10), draws.take(1000), draws.take(7)] == expected
