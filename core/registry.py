"""The source systems orderlayer ships a tap for: one declarative entry each.

A connection in `orderlayer.yml` names one of these as its `source`. The entry says which tap runs it, which
raw tables it fills, its production base URL, which tap config keys are secrets (they reach the tap only through
its environment), and whether it is a sales channel (feeds the order facts) or an ERP (feeds the ERP side of
reconciliation).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Source:
    name: str
    #: channel: a sales channel's API; erp: an ERP's API; file: CSV/Excel exports under a mapping (its name is
    #: the channel name of its orders, docs/file-sources.md)
    kind: Literal["channel", "erp", "file"]
    executable: str
    default_base_url: str
    #: Tap config keys that are secrets; `credentials` maps them to environment variables.
    secret_keys: tuple[str, ...]
    #: The secret keys a sync cannot run without.
    required_secrets: tuple[str, ...]
    #: What a connection's `shop_id` means for this source (for error messages and docs).
    account_label: str = "shop id"
    #: The tap config key that receives the connection's `shop_id` (None: the tap has no such key).
    shop_key: str | None = "shop_id"
    #: The tap config key that receives the connection's `base_url`.
    url_key: str = "base_url"
    #: The tap's streams, each landing in `<prefix>__<stream>` (None: the kind's default streams).
    streams: tuple[str, ...] | None = None

    @property
    def env_prefix(self) -> str:
        return self.executable.upper().replace("-", "_") + "_"

    def stream_tables(self, prefix: str) -> tuple[str, ...]:
        """Raw tables a sync of this source fills, for a connection whose data is named ``prefix``."""
        if self.streams is not None:
            return tuple(f"{prefix}__{stream}" for stream in self.streams)
        if self.kind == "erp":
            return (f"{prefix}__sales_orders",)
        if self.kind == "file":
            return (f"{prefix}__orders", f"{prefix}__lines")
        return (f"{prefix}__orders",)


_SOURCES: tuple[Source, ...] = (
    Source(
        "douyin", "channel", "tap-douyin", "https://openapi-fxg.jinritemai.com",
        ("app_key", "app_secret", "access_token", "refresh_token"), ("app_key", "app_secret", "access_token"),
    ),
    Source(
        "jd", "channel", "tap-jd", "https://api.jd.com/routerjson",
        ("app_key", "app_secret", "access_token", "refresh_token"), ("app_key", "app_secret", "access_token"),
        account_label="venderId", streams=("orders", "refund_applies", "service_refunds"),
    ),
    Source(
        "taobao", "channel", "tap-taobao", "https://gw.api.taobao.com",
        ("app_key", "app_secret", "access_token", "refresh_token"), ("app_key", "app_secret", "access_token"),
        account_label="seller (shop) id",
    ),
    Source(
        "youzan", "channel", "tap-youzan", "https://open.youzanyun.com",
        ("client_id", "client_secret", "access_token"), ("client_id", "client_secret"),
        account_label="kdt_id", shop_key="kdt_id",
    ),
    Source(
        "tiktok_shop", "channel", "tap-tiktok-shop", "https://open-api.tiktokglobalshop.com",
        ("app_key", "app_secret", "access_token", "refresh_token"), ("app_key", "app_secret", "access_token"),
    ),
    Source(
        "pinduoduo", "channel", "tap-pinduoduo", "https://gw-api.pinduoduo.com/api/router",
        ("client_id", "client_secret", "access_token", "refresh_token"), ("client_id", "client_secret", "access_token"),
        account_label="mall id",
    ),
    Source(
        "shopify", "channel", "tap-shopify", "https://{shop}.myshopify.com",
        ("access_token", "client_id", "client_secret"), (),
        account_label="myshopify subdomain",
    ),
    Source(
        "meituan", "channel", "tap-meituan", "https://waimaiopen.meituan.com/api/v1",
        ("app_id", "app_secret"), ("app_id", "app_secret"), account_label="app_poi_code (store)", shop_key="app_poi_code",
    ),
    Source(
        "eleme", "channel", "tap-eleme", "https://api-be.ele.me/",
        ("source", "secret", "access_token"), ("source", "secret"), account_label="shop_id (store)",
    ),
    Source(
        "sap", "erp", "tap-sap", "https://my-s4.example.com",
        ("username", "password", "client_id", "client_secret"), (), account_label="company code", shop_key=None,
    ),
    Source(
        "kingdee", "erp", "tap-kingdee", "https://my-k3cloud.example.com/k3cloud",
        ("acct_id", "username", "password", "app_id", "app_secret"), ("acct_id", "username"),
        account_label="organisation", shop_key=None, url_key="server_url",
    ),
    Source(
        "yonyou", "erp", "tap-yonyou", "https://api.diwork.com",
        ("app_key", "app_secret"), ("app_key", "app_secret"), account_label="tenant", shop_key=None, url_key="gateway_url",
    ),
    Source("files", "file", "tap-files", "", (), (), account_label="shop id (informational; the mapping names the shop)"),
)

SOURCES: dict[str, Source] = {source.name: source for source in _SOURCES}
CHANNELS: tuple[str, ...] = tuple(s.name for s in _SOURCES if s.kind == "channel")
ERPS: tuple[str, ...] = tuple(s.name for s in _SOURCES if s.kind == "erp")


def source(name: str) -> Source:
    try:
        return SOURCES[name]
    except KeyError:
        raise KeyError(f"unknown source {name!r}; known: {', '.join(SOURCES)}") from None
