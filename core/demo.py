"""`orderlayer demo`: every bundled sandbox at once — the sales channels, a file source and the ERPs — a fresh
DuckDB file, and settings that point at them.

Each channel sandbox speaks its platform's protocol on a local port; the file source's exports are written
into the demo's folder; the ERP sandboxes hold the channel orders the way a company's ERP would (most present
under the channel order id, some missing, late or disagreeing, some ERP-only). The sandboxes' demo keys and
tokens are not secrets, but they still travel the production way: through environment variables named by
each connection's `credentials`.
"""

from __future__ import annotations

import importlib
import os
import re
import shutil
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator

from orderlayer.core.config import Connection, Credentials, ErpMatching, Settings
from orderlayer.core.dbt import project_dir
from orderlayer.core.registry import source
from orderlayer.core.sync import token_store_path

DEMO_SALT = "orderlayer-demo-salt"
#: Demo Douyin shop ids (real ones are 7–8 digit numbers); `--shops` picks how many.
SHOP_IDS = ("7784061", "7784062", "7784063", "7784064", "7784065", "7784066", "7784067", "7784068", "7784069")
#: Tap config keys that are not connection options (they have their own fields or come from the run).
_RESERVED = {"base_url", "start_date", "end_date", "pii_salt"}


@dataclass(frozen=True)
class DemoChannel:
    """One bundled channel sandbox: which class, which shops, and the connection settings a user would write."""

    source: str
    sandbox: str  # "module:Class"
    shops: tuple[str, ...]
    #: the shops' zones and currencies, one each or one for all
    timezones: tuple[str, ...] = ("Asia/Shanghai",)
    currencies: tuple[str, ...] = ("CNY",)
    #: share of --orders this channel generates (Douyin: all of them)
    share: float = 0.25
    #: tap options of every connection
    options: dict[str, Any] = field(default_factory=dict)
    #: positional arguments before (seed, as_of, n_orders, shop_ids), and keyword arguments
    leading: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)

    def shop_settings(self, shop: str) -> tuple[str, str]:
        k = self.shops.index(shop)
        return self.timezones[k % len(self.timezones)], self.currencies[k % len(self.currencies)]


CHANNELS: tuple[DemoChannel, ...] = (
    DemoChannel("douyin", "orderlayer.sandboxes.douyin.server:DouyinSandbox", SHOP_IDS, share=1.0,
                # the sandbox allows 50 requests/s per app; one-day windows: 30 per shop
                options={"window_seconds": 86400, "max_requests_per_second": 40},
                leading=("7301234567890123456", "orderlayer-demo-app-secret")),
    # the local sandboxes answer at 50 requests/s; the taps' defaults are kept for the real platforms
    DemoChannel("jd", "orderlayer.sandboxes.jd.server:JdSandbox", ("10086001", "10086002"), options={"max_requests_per_second": 40}),
    # TOP allows one-day `modified` windows (1800 s is only its recommendation)
    DemoChannel("taobao", "orderlayer.sandboxes.taobao.server:TaobaoSandbox", ("2207712345",),
                options={"window_seconds": 86400, "max_requests_per_second": 40}),
    # PDD's windows are at most 30 minutes: 1,440 calls for 30 days; the local sandbox needs no throttle
    DemoChannel("pinduoduo", "orderlayer.sandboxes.pinduoduo.server:PinduoduoSandbox", ("938475",),
                options={"max_requests_per_second": 400}, kwargs={"qps": None}),
    DemoChannel("youzan", "orderlayer.sandboxes.youzan.server:YouzanSandbox", ("45200117",), options={"max_requests_per_second": 40}),
    # Meituan and Ele.me read order details call by call: the local sandboxes run unthrottled
    DemoChannel("meituan", "orderlayer.sandboxes.meituan.server:MeituanSandbox", ("mt_poi_1001",),
                options={"max_requests_per_second": 400}, kwargs={"qps": None}),
    DemoChannel("eleme", "orderlayer.sandboxes.eleme.server:ElemeSandbox", ("el_shop_2001",),
                options={"max_requests_per_second": 400}, kwargs={"qps": None}),
    DemoChannel("tiktok_shop", "orderlayer.sandboxes.tiktok_shop.server:TikTokShopSandbox",
                ("7494105515082810525",), timezones=("America/Los_Angeles",), currencies=("USD",)),
    # shop k of the Shopify sandbox has profile k: New York / USD, Berlin / EUR
    DemoChannel("shopify", "orderlayer.sandboxes.shopify.server:ShopifySandbox", ("acme-tea-us", "acme-tea-de"),
                timezones=("America/New_York", "Europe/Berlin"), currencies=("USD", "EUR"), kwargs={"qps": None},
                options={"max_requests_per_second": 40}),
)


@dataclass(frozen=True)
class DemoErp:
    """One bundled ERP sandbox and the channels whose orders its company books (one ERP per business unit)."""

    source: str
    sandbox: str  # "module:Class"
    company: str  # the connection's shop_id: company code / organisation / tenant
    channels: tuple[str, ...]
    options: dict[str, Any] = field(default_factory=lambda: {"max_requests_per_second": 40})


ERPS: tuple[DemoErp, ...] = (
    DemoErp("sap", "orderlayer.sandboxes.sap.server:SapSandbox", "1710", ("douyin", "jd", "taobao")),
    DemoErp("kingdee", "orderlayer.sandboxes.kingdee.server:KingdeeSandbox", "100",
            ("pinduoduo", "youzan", "meituan", "eleme", "wechat_shop")),
    DemoErp("yonyou", "orderlayer.sandboxes.yonyou.server:YonyouSandbox", "overseas", ("shopify", "tiktok_shop")),
)


@dataclass
class DemoWorld:
    """The started sandboxes of one demo run."""

    as_of: datetime
    channels: list[tuple[DemoChannel, Any]]
    orders: dict[str, int] = field(default_factory=dict)
    file_mapping: Path | None = None
    file_facts: list = field(default_factory=list)
    #: (spec, started sandbox, matching rules for orderlayer.yml `erp_matching`)
    erps: list[tuple[DemoErp, Any, dict]] = field(default_factory=list)

    def order_facts(self) -> list:
        facts = [f for _, sandbox in self.channels for f in sandbox.order_facts()]
        return facts + list(self.file_facts)

    def summary(self) -> list[tuple[str, str, int]]:
        """(source, shops, orders) per started sandbox, for the demo's banner."""
        rows = [(spec.source, ", ".join(sandbox.shop_ids), self.orders[spec.source]) for spec, sandbox in self.channels]
        if self.file_mapping is not None:
            rows.append(("files (wechat_shop)", "wx-shop-01", len(self.file_facts)))
        for spec, _, _ in self.erps:
            rows.append((f"{spec.source} (ERP)", spec.company, self.orders[spec.source]))
        return rows


def _class(path: str) -> Any:  # noqa: ANN401
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


@contextmanager
def start_sandboxes(seed: int, as_of: datetime, orders: int, shops: int, work: Path) -> Iterator[DemoWorld]:
    """Start every channel sandbox (Douyin with `shops` shops and `orders` orders), write the file source's
    exports under `work`, and yield the world; everything stops on exit."""
    with ExitStack() as stack:
        world = DemoWorld(as_of=as_of, channels=[])
        for spec in CHANNELS:
            n_shops = shops if spec.source == "douyin" else len(spec.shops)
            n_orders = max(40, int(orders * spec.share))
            sandbox = _class(spec.sandbox)(*spec.leading, seed, as_of, n_orders, list(spec.shops[:n_shops]), **spec.kwargs)
            sandbox.start()
            stack.callback(sandbox.stop)
            world.channels.append((spec, sandbox))
            world.orders[spec.source] = n_orders
        world.file_mapping, world.file_facts = _write_file_source(seed, as_of, max(60, orders // 4), work)
        facts = world.order_facts()
        for spec in ERPS:
            sandbox = _class(spec.sandbox)(seed, as_of, [f for f in facts if f.channel in spec.channels])
            sandbox.start()
            stack.callback(sandbox.stop)
            world.erps.append((spec, sandbox, _matching(spec, sandbox)))
            world.orders[spec.source] = sum(1 for d in sandbox.derivation() if d.erp_order_id)
        yield world


def _matching(spec: DemoErp, sandbox: Any) -> dict:  # noqa: ANN401
    """The matching rules a company would configure for this ERP: the prefixes and suffix its integrations
    write around channel order ids, and which ERP customer stands for which shop."""
    from orderlayer.sandboxes.kit.erp_derive import CHANNEL_REFERENCE_PREFIXES

    return {
        # the same spelling rule the derivation uses: a known prefix, else CHANNEL-
        "strip_prefixes": sorted({CHANNEL_REFERENCE_PREFIXES.get(c, c.upper() + "-") for c in spec.channels}),
        "strip_suffixes": ["-01"],
        "customers": {code: f"{channel}:{shop}" for (channel, shop), code in sorted(sandbox.customer_codes.items())},
    }


def _write_file_source(seed: int, as_of: datetime, orders: int, work: Path) -> tuple[Path, list]:
    """The WeChat shop's exports and mapping in `work/file_sources/` (the mapping is the documented example)."""
    from orderlayer.sandboxes.files.exports import write_exports

    folder = work / "file_sources"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    mapping = folder / "wechat_shop.yml"
    shutil.copyfile(project_dir() / "docs" / "examples" / "file-source" / "wechat_shop.yml", mapping)
    export = write_exports(folder / "exports", seed, as_of, orders)
    return mapping, export.facts


def _env_name(*parts: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "_", "_".join(("ORDERLAYER_DEMO", *parts)).upper()).strip("_")


def _connection(spec_source: str, shop: str, config: dict, zone: str, currency: str, options: dict) -> Connection:
    """A connection for one sandbox shop: secrets into environment variables, the rest into options."""
    src = source(spec_source)
    credentials = {}
    for key in src.secret_keys:
        if config.get(key) is not None:
            env = _env_name(spec_source, shop, key)
            os.environ[env] = str(config[key])
            credentials[key] = env
    reserved = _RESERVED | set(src.secret_keys) | {src.shop_key, src.url_key}
    rest = {k: v for k, v in config.items() if k not in reserved}
    return Connection(
        source=spec_source,
        shop_id=str(shop),
        timezone=zone,
        currency=currency,
        base_url=config[src.url_key],
        start_date=datetime.fromisoformat(str(config["start_date"]).replace("Z", "+00:00")),
        options={**rest, **options},
        credentials=Credentials(credentials),
    )


def demo_settings(world: DemoWorld, db: Path, base: Settings | None = None) -> Settings:
    """Settings for every sandbox shop, the file source and the ERPs, on a fresh `db` (a demo starts from nothing)."""
    for path in (db, db.with_name(db.name + ".wal")):
        if path.exists():
            path.unlink()
    os.environ.setdefault("ORDERLAYER_PII_SALT", DEMO_SALT)
    connections: dict[str, Connection] = {}
    for spec, sandbox in world.channels:
        for shop in sandbox.shop_ids:
            zone, currency = spec.shop_settings(shop)
            connections[f"{spec.source}_{shop}"] = _connection(
                spec.source, shop, sandbox.tap_config(shop), zone, currency, spec.options
            )
    if world.file_mapping is not None:
        connections["wechat_shop"] = Connection(
            source="files", shop_id="wx-shop-01", options={"mapping": str(world.file_mapping)}
        )
    erp_matching: dict[str, ErpMatching] = {}
    for spec, sandbox, matching in world.erps:
        connections[f"{spec.source}_{spec.company}"] = _connection(
            spec.source, spec.company, sandbox.tap_config(), "Asia/Shanghai", "CNY", spec.options
        )
        erp_matching[spec.source] = ErpMatching(**matching)
    # Tokens a previous demo refreshed belong to sandboxes that are gone: this run's sandboxes issue their own.
    for name in connections:
        token_store_path(db, name).unlink(missing_ok=True)
    return (base or Settings()).model_copy(
        update={"database": db, "connections": connections, "erp_matching": {**(base.erp_matching if base else {}), **erp_matching}}
    )


