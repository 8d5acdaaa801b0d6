"""Every ``python -m orderlayer.sandboxes.<source>`` builds its sandbox from the shared and its own flags."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest

from orderlayer.sandboxes.kit.cli import Standalone

SOURCES = ("douyin", "eleme", "jd", "kingdee", "meituan", "pinduoduo", "sap", "shopify", "taobao", "tiktok_shop",
           "yonyou", "youzan")
AS_OF = dt.datetime(2024, 12, 1, tzinfo=dt.timezone.utc)


def standalone(source: str) -> Standalone:
    return importlib.import_module(f"orderlayer.sandboxes.{source}.__main__").STANDALONE


@pytest.mark.parametrize("source", SOURCES)
def test_the_defaults_build_a_sandbox_that_announces_its_configs(source: str) -> None:
    spec = standalone(source)
    assert spec.prog == f"python -m orderlayer.sandboxes.{source}"
    args = spec.parser(None).parse_args(["--orders", "40", "--as-of", AS_OF.isoformat()])
    sandbox = spec.build(args, AS_OF)
    base_url = sandbox.start()
    try:
        announced = spec.announcement(sandbox, base_url)
    finally:
        sandbox.stop()
    configs = announced.get("configs") or [announced["config"]]
    # each config points the tap at this sandbox (the URL's key differs between taps)
    assert configs and all(any(str(v).startswith(base_url) for v in config.values()) for config in configs)
    if spec.shops is not None:
        assert sandbox.shop_ids == spec.shops.split(",")


def test_flags_reach_the_sandbox_and_qps_zero_means_no_limit() -> None:
    spec = standalone("jd")
    argv = ["--shops", "1,2", "--days", "5", "--qps", "0", "--max-page", "7", "--app-key", "k"]
    sandbox = spec.build(spec.parser(None).parse_args(argv), AS_OF)
    assert (sandbox.shop_ids, sandbox.max_page, sandbox.app_key, sandbox.qps) == (["1", "2"], 7, "k", None)


def test_pinduoduo_announces_its_router_url() -> None:
    spec = standalone("pinduoduo")
    sandbox = spec.build(spec.parser(None).parse_args([]), AS_OF)
    base_url = sandbox.start()
    try:
        announced = spec.announcement(sandbox, base_url)
    finally:
        sandbox.stop()
    assert announced["router_url"].startswith(base_url) and announced["router_url"] != base_url
