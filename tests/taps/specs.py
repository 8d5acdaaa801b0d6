"""What each source contributes to the tests every tap shares (one module each, parametrised over sources).

A source's ``tests/taps/<source>/kit.py`` declares ``STANDARD`` (singer-sdk's standard tap tests) and, for the
channels, ``THIRD_PARTY`` (its orders piped into target-jsonl). The shared modules read them through
:func:`kit_of`; nothing else about a source lives in them.
"""

from __future__ import annotations

import importlib
import typing as t
from dataclasses import dataclass
from types import ModuleType

#: Sources with a tap under singer-sdk's standard tests (every tap but the file source, which has no server).
STANDARD_SOURCES = (
    "douyin", "eleme", "jd", "kingdee", "kuaidi100", "meituan", "pinduoduo", "sap", "sf_express", "shopify", "taobao", "tiktok_shop",
    "yonyou", "youzan",
)
#: Sources under the shared protocol tests (retry hints).
PROTOCOL_SOURCES = ("douyin", "eleme", "jd", "kingdee", "meituan", "pinduoduo", "sap", "shopify", "taobao", "tiktok_shop", "yonyou", "youzan")
#: Channels proven against a third-party Singer target.
THIRD_PARTY_SOURCES = ("douyin", "eleme", "jd", "meituan", "pinduoduo", "shopify", "taobao", "tiktok_shop", "youzan")


class Sandbox(t.Protocol):
    def stop(self) -> None: ...


@dataclass(frozen=True)
class StandardSpec:
    """One source under singer-sdk's standard tap tests.

    ``config`` holds placeholders for what only a started sandbox knows (its port, issued credentials);
    ``start`` starts the sandbox and returns it with those values. The class-scoped sync sees the filled config.
    """

    tap_class: type
    config: t.Mapping[str, t.Any]
    start: t.Callable[[], tuple[Sandbox, dict[str, t.Any]]]
    max_records_limit: int


@dataclass(frozen=True)
class ThirdPartySpec:
    """One channel's orders piped into target-jsonl.

    ``fixture`` names the kit's sandbox factory fixture; ``start`` turns that factory into a started sandbox and
    the tap config to sync it with. The shared test checks the target wrote exactly ``expected_ids`` (read at
    ``id_key``); ``check`` holds what is particular to the channel (id widths, masking, amounts) over all rows.
    """

    tap_class: type
    fixture: str
    start: t.Callable[[t.Any], tuple[t.Any, dict[str, t.Any]]]
    id_key: str
    expected_ids: t.Callable[[t.Any], set]
    check: t.Callable[[t.Any, list[dict]], None]


@dataclass(frozen=True)
class ProtocolSpec:
    """One source under the protocol tests every tap shares (``tests/taps/test_protocol_common.py``).

    ``start(factory, hint)`` starts a sandbox (from the kit's factory fixture named ``fixture``) whose throttle
    answer asks the client to wait ``hint`` seconds; ``config(sandbox, **overrides)`` is ``tap_class``'s config for
    it at test speed; ``calls(sandbox)`` is the sandbox's log of the throttled endpoint, in arrival order. ``throttle_codes`` are the answer codes (logged under ``code_key``) the first calls get when the
    next call is throttled: the throttle, then success where the sandbox logs one. ``give_up_fault`` is the
    sandbox fault that keeps the endpoint failing retriably, and ``give_up_names`` what the give-up message quotes
    of the platform's answer.
    """

    fixture: str
    tap_class: type
    start: t.Callable[[t.Any, float], t.Any]
    config: t.Callable[..., dict[str, t.Any]]
    calls: t.Callable[[t.Any], list[dict]]
    code_key: str
    throttle_codes: tuple[t.Any, ...]
    give_up_names: str
    give_up_fault: str = "rate_limit_next"


def kit_of(source: str) -> ModuleType:
    return importlib.import_module(f"tests.taps.{source}.kit")
