"""tap-sf-express: SF Express waybill routes (``EXP_RECE_SEARCH_ROUTES``) as a Singer tap (singer-sdk)."""

from __future__ import annotations

from singer_sdk import typing as th

from orderlayer.taps.common import options as opt
from orderlayer.taps.common.tap import SourceTap
from orderlayer.taps.common.waybills import carrier_request_properties, waybills_property
from orderlayer.taps.sf_express import protocol as p
from orderlayer.taps.sf_express.streams import RoutesStream, SfConnection


class TapSfExpress(SourceTap):
    """Singer tap for the 丰桥 CSIM gateway: the routes of the waybills in ``waybills``, one customer code per config."""

    name = "tap-sf-express"
    connection_class = SfConnection
    stream_classes = (RoutesStream,)

    config_jsonschema = th.PropertiesList(
        opt.base_url(p.DEFAULT_BASE_URL, f"CSIM gateway (sandbox: {p.SANDBOX_GATEWAY})"),
        th.Property("partner_id", th.StringType(min_length=1, max_length=64), required=True,
                    description="Customer code (顾客编码, partnerID) from the 丰桥 console."),
        th.Property("checkword", th.StringType(min_length=1), required=True, secret=True,
                    description="Checkword (校验码) of the customer code; signs every call (msgDigest)."),
        waybills_property(),
        opt.bounded_int("batch_size", p.MAX_BATCH, "Waybills per route query (SF's own limit is unconfirmed).", maximum=p.MAX_BATCH),
        th.Property("pii_salt", th.StringType(min_length=1), secret=True, description="Given by orderlayer; unused (route data names no buyer)."),
        *carrier_request_properties(max_requests_per_second=5, request_timeout=15),
    ).to_dict()


if __name__ == "__main__":
    TapSfExpress.cli()
