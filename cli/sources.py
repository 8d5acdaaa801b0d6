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

    @property
    def env_prefix(self) -> str:
        return self.executable.upper().replace("-", "_") + "_"

    def stream_tables(self, prefix: str) -> tuple[str, ...]:
        """Raw tables a sync of this source fills, for a connection whose data is named ``prefix``."""
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
