"""tap-kuaidi100: Kuaidi100 parcel tracking (real-time query, subscriptions) as a Singer tap (singer-sdk)."""

from __future__ import annotations

from singer_sdk import typing as th

from orderlayer.taps.common import options as opt
from orderlayer.taps.common.tap import SourceTap
from orderlayer.taps.common.waybills import carrier_request_properties, waybills_property
from orderlayer.taps.kuaidi100 import protocol as p
from orderlayer.taps.kuaidi100.streams import Kuaidi100Connection, TrackingStream

#: Tracking-number prefixes -> Kuaidi100 company codes, for waybills whose channel names no company. The prefixes
#: are the carriers' usual number shapes, not a published table [I]; a connection replaces them in options.
DEFAULT_CARRIER_PREFIXES = {
    "SF": "shunfeng",
    "YT": "yuantong",
    "JT": "jtexpress",
    "JDV": "jd",
    "JD": "jd",
    "73": "zhongtong",
    "75": "zhongtong",
    "78": "zhongtong",
    "43": "yunda",
    "46": "yunda",
    "77": "shentong",
}


class TapKuaidi100(SourceTap):
    """Singer tap for Kuaidi100: the tracking of the waybills in ``waybills``, one company account (customer) per config."""

    name = "tap-kuaidi100"
    connection_class = Kuaidi100Connection
    stream_classes = (TrackingStream,)

    config_jsonschema = th.PropertiesList(
        opt.base_url(p.DEFAULT_BASE_URL, "API root (poll/query.do and poll are under it)"),
        th.Property("customer", th.StringType(min_length=1), required=True, description="The company number (customer) of the account."),
        th.Property("key", th.StringType(min_length=1), required=True, secret=True,
                    description="The authorisation key: signs queries and goes inside subscriptions."),
        th.Property("salt", th.StringType(min_length=1, max_length=32), secret=True,
                    description="Subscriptions ask Kuaidi100 to sign each push with it (upper(md5(param + salt))); the receiver verifies."),
        th.Property("callback_url", th.StringType(pattern=r"^https?://"),
                    description="Where Kuaidi100 pushes changes; set it to subscribe every queried waybill; `orderlayer serve` receives them at /push/kuaidi100/<connection> (docs/serve.md)."),
        waybills_property(),
        th.Property("carrier_prefixes", th.ObjectType(additional_properties=th.StringType), default=DEFAULT_CARRIER_PREFIXES,
                    description="Tracking-number prefix -> company code for waybills whose channel names no company."),
        th.Property("pii_salt", th.StringType(min_length=1), secret=True, description="Given by orderlayer; unused (tracking data names no buyer)."),
        *carrier_request_properties(max_requests_per_second=5, request_timeout=15),
    ).to_dict()


if __name__ == "__main__":
    TapKuaidi100.cli()
