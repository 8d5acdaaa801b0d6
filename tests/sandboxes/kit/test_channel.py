"""The channel-sandbox base: the clock, the tap config's window, state and the token accessors."""

from __future__ import annotations

import datetime as dt
import typing as t

import pytest

from orderlayer.sandboxes.kit.channel import ChannelSandbox
from orderlayer.sandboxes.kit.server import SandboxRequest, SandboxResponse
from orderlayer.sandboxes.kit.tokens import TokenIssuer, hashed_pair
from orderlayer.sandboxes.kit.world import OrderWorld

AS_OF = dt.datetime(2024, 12, 1, tzinfo=dt.timezone.utc)  # 1_733_011_200


class World(OrderWorld):
    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:  # noqa: ANN401
        super().__init__(*args, **kwargs)
        self.start_ts = self.window_start_ts + 60  # the earliest order


class Sandbox(ChannelSandbox[World]):
    generator_class = World

    def __init__(self) -> None:
        super().__init__(7, AS_OF, 3, ["s1", "s2"], days=2, wall_clock=lambda: 5_000.0)
        self.reindexed = 0
        self.tokens = TokenIssuer(hashed_pair(7, "app"), clock=self.wall_time, ttl_seconds=100)
        for shop in self.shop_ids:
            self.tokens.issue(shop)

    def _reindex(self) -> None:
        self.reindexed += 1

    def connection(self, shop_id: str) -> dict:
        return {"shop_id": shop_id, "access_token": self.access_token(shop_id)}

    def handle(self, request: SandboxRequest) -> SandboxResponse:  # noqa: ARG002 - not served here
        return SandboxResponse(404, {})


def test_the_clock_only_moves_forward_and_reindexes() -> None:
    sandbox = Sandbox()
    assert (sandbox.now_ts, sandbox.now, sandbox.shop_ids) == (1_733_011_200, AS_OF, ["s1", "s2"])
    sandbox.advance(AS_OF + dt.timedelta(hours=1))
    assert (sandbox.now_ts, sandbox.reindexed) == (1_733_014_800, 1)
    with pytest.raises(ValueError, match="only moves forward"):
        sandbox.advance(AS_OF)
    assert sandbox.state() | {"faults": None} == {"faults": None, "now": "2024-12-01T01:00:00+00:00", "n_orders": 3, "shop_ids": ["s1", "s2"]}


def test_tap_config_is_the_connection_then_the_window_salt_and_overrides() -> None:
    sandbox = Sandbox()
    config = sandbox.tap_config("s2", pii_salt="salt", access_token="override")
    assert config == {
        "shop_id": "s2",
        "access_token": "override",
        "start_date": "2024-11-29T00:01:00+00:00",  # the earliest order
        "end_date": "2024-12-01T00:00:01+00:00",  # one second past the clock
        "pii_salt": "salt",
    }


def test_expire_tokens_expires_every_issued_token() -> None:
    sandbox = Sandbox()
    token = sandbox.access_token("s1")
    assert sandbox.tokens.live(token)
    sandbox.expire_tokens()
    assert not sandbox.tokens.live(token)
    assert sandbox.refresh_token("s1") == sandbox.tokens.refresh_token("s1")


class Plain(ChannelSandbox[World]):
    """A sandbox that declares no constructor of its own: the world and server arguments are the base's."""

    generator_class = World
    default_shop_ids = ("d1",)

    def connection(self, shop_id: str) -> dict:
        return {"shop_id": shop_id}

    def handle(self, request: SandboxRequest) -> SandboxResponse:  # noqa: ARG002 - not served here
        return SandboxResponse(404, {})


def test_the_world_arguments_are_taken_positionally_or_by_keyword() -> None:
    by_position = Plain(7, AS_OF, 3, ["s1"], days=2)
    by_keyword = Plain(seed=7, as_of=AS_OF, n_orders=3, shop_ids=["s1"], days=2)
    for sandbox in (by_position, by_keyword):
        world = sandbox.generator
        assert (world.seed, world.as_of, world.n_orders, world.shop_ids, world.days) == (7, AS_OF, 3, ["s1"], 2)
    assert Plain(7, AS_OF, 3).shop_ids == ["d1"]  # the platform's default shops


def test_a_sandbox_without_default_shops_needs_them_named() -> None:
    class NoDefault(Plain):
        default_shop_ids = None

    with pytest.raises(ValueError, match="at least one shop id is required"):
        NoDefault(7, AS_OF, 3)
