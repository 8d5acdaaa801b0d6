"""The demo derives from the sandboxes: each sandbox folder declares its part (`sandboxes/<x>/demo.py`)."""

from __future__ import annotations

import inspect

import pytest

from orderlayer.core.demo import check_bookings, declarations
from orderlayer.sandboxes.kit.demo_spec import DemoCarrier, DemoChannel, DemoErp, DemoFileSource
from orderlayer.core.registry import CARRIERS, CHANNELS, ERPS, source
from orderlayer.sandboxes.kit.erp_derive import channel_reference_prefixes, reference_prefix


def test_every_shipped_source_has_its_sandboxs_demo_declaration_in_its_own_folder() -> None:
    specs = declarations()
    assert [type(s) for s in specs] == sorted((type(s) for s in specs), key=[DemoChannel, DemoFileSource, DemoErp, DemoCarrier].index)
    channels = [s for s in specs if isinstance(s, DemoChannel)]
    erps = [s for s in specs if isinstance(s, DemoErp)]
    files = [s for s in specs if isinstance(s, DemoFileSource)]
    carriers = [s for s in specs if isinstance(s, DemoCarrier)]
    # the demo's order (banner, connections) as before the declarations moved
    assert [s.source for s in channels] == ["douyin", "jd", "taobao", "pinduoduo", "youzan", "meituan", "eleme", "tiktok_shop", "shopify"]
    assert [s.source for s in erps] == ["sap", "kingdee", "yonyou"]
    assert sorted(s.source for s in channels) == sorted(CHANNELS) and sorted(s.source for s in erps) == sorted(ERPS)
    assert [(s.source, s.name, s.shop) for s in files] == [("files", "wechat_shop", "wx-shop-01")]
    assert source(files[0].source).kind == "file"
    # the carriers that track the channels' parcels: SF's own, then the aggregator for the rest
    assert [s.source for s in carriers] == ["sf_express", "kuaidi100"] and sorted(CARRIERS) == sorted(s.source for s in carriers)
    for spec in [*channels, *erps, *carriers]:
        assert inspect.getmodule(spec.sandbox).__name__ == f"orderlayer.sandboxes.{spec.source}.server"
    # which ERP's company books which channel, as before the declarations moved to the channel sandboxes
    assert {s.source if isinstance(s, DemoChannel) else s.name: s.erp for s in [*channels, *files]} == {
        "douyin": "sap", "jd": "sap", "taobao": "sap",
        "pinduoduo": "kingdee", "youzan": "kingdee", "meituan": "kingdee", "eleme": "kingdee", "wechat_shop": "kingdee",
        "shopify": "yonyou", "tiktok_shop": "yonyou",
    }


def test_reference_prefixes_come_from_the_channel_sandboxes() -> None:
    assert dict(channel_reference_prefixes()) == {
        "douyin": "DY", "jd": "JD-", "taobao": "TB", "pinduoduo": "PDD-", "youzan": "YZ", "meituan": "meituan_",
        "eleme": "ele_", "shopify": "SHOPIFY-", "tiktok_shop": "TTS-",
    }
    assert reference_prefix("wechat_shop") == "WECHAT_SHOP-"  # a channel without a sandbox


def test_a_channel_booked_by_an_undeclared_erp_is_an_error() -> None:
    erp = DemoErp("sap", object, "1710", position=10)
    check_bookings([DemoChannel("jd", object, ("1",), position=20, erp="sap"), erp])
    with pytest.raises(ValueError, match="sandboxes/jd/demo.py: erp 'spa'; use one of sap or None"):
        check_bookings([DemoChannel("jd", object, ("1",), position=20, erp="spa"), erp])
