"""tap-yonyou: Yonyou YonBIP / YonSuite sales orders as a Singer tap (singer-sdk)."""

from __future__ import annotations

import typing as t
from functools import cached_property
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import requests
from singer_sdk import typing as th

from orderlayer.taps.common import options as opt
from orderlayer.taps.common.tap import ErpTap, source_properties
from orderlayer.taps.yonyou import protocol as p
from orderlayer.taps.yonyou.client import YonyouAuthenticator
from orderlayer.taps.yonyou.streams import SalesOrdersStream

SECRET_KEYS = ("app_secret", "pii_salt")


class TapYonyou(ErpTap):
    """Singer tap for YonBIP sales orders (one tap config = one tenant / self-built app)."""

    name = "tap-yonyou"
    stream_classes = (SalesOrdersStream,)
    secret_keys = SECRET_KEYS
    renamed_keys: t.ClassVar[dict[str, str]] = {"gateway_url": "base_url"}

    config_jsonschema = th.PropertiesList(
        th.Property("base_url", th.StringType, required=True, description="The tenant's API gateway, e.g. https://c2.yonyoucloud.com/iuap-api-gateway (from getGatewayAddress). Formerly gateway_url."),
        th.Property("token_url", th.StringType, required=True, description="The tenant's auth host, e.g. https://c2.yonyoucloud.com/iuap-api-auth."),
        th.Property("app_key", th.StringType, required=True, description="appKey of the self-built app (自建应用)."),
        th.Property("app_secret", th.StringType, required=True, secret=True, description="appSecret; signs the token request."),
        th.Property("source_timezone", th.StringType, default="Asia/Shanghai", description="IANA zone of the tenant's naive times (pubts, vouchdate)."),
        opt.choice(
            "incremental_field",
            p.DEFAULT_INCREMENTAL_FIELD,
            ["pubts", "auditTime", "vouchdate"],
            "simpleVOs field the sync windows filter and sort on (pubts, the last-modified time; unconfirmed that the list accepts it).",
        ),
        th.Property("window_seconds", th.IntegerType(minimum=60), default=86_400, description="Length of one query window."),
        th.Property("page_size", th.IntegerType(minimum=1, maximum=p.MAX_PAGE_SIZE), default=p.DEFAULT_PAGE_SIZE, description="pageSize (rows, one per order line); <= 500."),
        *source_properties(
            pii_subject="the salesperson name",
            max_requests_per_second=0.9,
            request_timeout=60,
            retry_max_wait_seconds=90.0,
            descriptions={
                "max_requests_per_second": (
                    f"Client-side budget; the list API allows {p.DOCUMENTED_CALLS_PER_MINUTE} calls/minute from 2026-03-31."
                ),
                "retry_max_wait_seconds": "Cap of one retry wait (a throttled minute needs up to 60 s).",
            },
        ),
    ).to_dict()

    def extra_config_errors(self) -> list[str]:
        """A known IANA zone for the tenant's naive times."""
        try:
            ZoneInfo(str(self.config.get("source_timezone", "Asia/Shanghai")))
        except (ZoneInfoNotFoundError, ValueError):
            return [f"config key 'source_timezone': unknown IANA zone {self.config.get('source_timezone')!r}"]
        return []

    @cached_property
    def yonyou_authenticator(self) -> YonyouAuthenticator:
        return YonyouAuthenticator(
            token_url=str(self.config["token_url"]),
            app_key=str(self.config["app_key"]),
            app_secret=str(self.config["app_secret"]),
            timeout=float(self.config.get("request_timeout", 60)),
            session=self.paced(requests.Session()),
            logger=self.logger,
            on_secret=self.secret_filter.add,
        )


if __name__ == "__main__":
    TapYonyou.cli()
