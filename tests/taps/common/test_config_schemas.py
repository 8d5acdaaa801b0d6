"""Every tap's config schema, pinned: the shared option builders (``taps/common/options.py``,
``source_properties``) must declare what each tap declared by hand — names, types, defaults, limits,
``required``, ``secret`` flags, allowed values, wording and property order.

``config_schemas.json`` was written from the hand-written schemas before the builders existed. A deliberate
change to a tap's options updates that file in the same commit. singer-sdk adds its built-in settings (stream
maps, flattening) to the class's schema once a tap is instantiated; those are not the tap's and are left out.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

PINNED = json.loads((Path(__file__).parent / "config_schemas.json").read_text(encoding="utf-8"))
TAP_CLASSES = {
    "douyin": "TapDouyin",
    "jd": "TapJd",
    "taobao": "TapTaobao",
    "pinduoduo": "TapPinduoduo",
    "youzan": "TapYouzan",
    "meituan": "TapMeituan",
    "eleme": "TapEleme",
    "tiktok_shop": "TapTikTokShop",
    "shopify": "TapShopify",
    "sap": "TapSap",
    "kingdee": "TapKingdee",
    "yonyou": "TapYonyou",
    "files": "TapFiles",
}


def test_every_tap_is_pinned() -> None:
    assert sorted(PINNED) == sorted(TAP_CLASSES)


@pytest.mark.parametrize("source", sorted(TAP_CLASSES))
def test_config_schema_is_unchanged(source: str) -> None:
    tap_class = getattr(importlib.import_module(f"orderlayer.taps.{source}.tap"), TAP_CLASSES[source])
    schema = json.loads(json.dumps(tap_class.config_jsonschema))
    builtin: dict = {"type": "object", "properties": {}}
    tap_class.append_builtin_config(builtin)
    for key in builtin["properties"]:
        schema["properties"].pop(key, None)
    assert schema == PINNED[source]["schema"]
    assert list(schema["properties"]) == PINNED[source]["order"]
