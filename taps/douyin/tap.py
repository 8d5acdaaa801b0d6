"""tap-douyin: Douyin shop (抖店) orders as a Singer tap (singer-sdk)."""

from __future__ import annotations

import typing as t
from functools import cached_property

from singer_sdk import Tap
from singer_sdk import typing as th
from singer_sdk.exceptions import ConfigValidationError

from orderlayer.taps.common.timeutil import parse_aware_datetime
from orderlayer.taps.douyin import protocol as p
from orderlayer.taps.douyin.client import DouyinConnection
from orderlayer.taps.douyin.streams import OrdersStream

if t.TYPE_CHECKING:
    from singer_sdk.streams import Stream


class TapDouyin(Tap):
    """Singer tap for the Douyin shop open platform (order.searchList)."""

    name = "tap-douyin"

    config_jsonschema = th.PropertiesList(
        th.Property("base_url", th.StringType, default=p.DEFAULT_BASE_URL, description="Gateway URL; point it at a sandbox for tests."),
        th.Property("app_key", th.StringType, required=True, description="App key of the Douyin open-platform app."),
        th.Property("app_secret", th.StringType, required=True, secret=True, description="App secret; signs every request."),
        th.Property("shop_id", th.StringType(pattern=r"^[0-9]+$"), required=True, description="Numeric id of the authorised shop (one tap run per shop)."),
        th.Property("access_token", th.StringType, required=True, secret=True, description="Shop access token (valid 7 days)."),
        th.Property(
            "refresh_token",
            th.StringType,
            secret=True,
            description="Refresh token (valid 14 days); used once when the access token is rejected as expired.",
        ),
        th.Property(
            "start_date",
            th.DateTimeType,
            required=True,
            description="ISO-8601 with offset; where the first sync starts. Ignored once state has a bookmark.",
        ),
        th.Property("end_date", th.DateTimeType, description="ISO-8601 with offset; default: now minus safety_lag_seconds."),
        th.Property("safety_lag_seconds", th.IntegerType(minimum=0), default=60, description="Default end is this many seconds before now."),
        th.Property(
            "window_seconds",
            th.IntegerType(minimum=1),
            default=21_600,
            description="Length of one update_time query window; the platform's maximum is unconfirmed.",
        ),
        th.Property(
            "page_size",
            th.IntegerType(minimum=1, maximum=p.MAX_PAGE_SIZE),
            default=p.MAX_PAGE_SIZE,
            description="Orders per page; Douyin accepts at most 100.",
        ),
        th.Property(
            "max_requests_per_second",
            th.NumberType(exclusive_minimum=0),
            default=10,
            description="Client-side request budget for this app (retries and token refreshes included).",
        ),
        th.Property(
            "pii_salt",
            th.StringType(min_length=1),
            required=True,
            secret=True,
            description='Salt for pseudonymising doudian_open_id ("sha256:" + sha256(salt + id)). Keep it stable.',
        ),
        th.Property("request_timeout", th.NumberType(exclusive_minimum=0), default=12, description="Seconds per HTTP request."),
        th.Property(
            "sign_method",
            th.StringType,
            default=p.SIGN_METHOD_HMAC_SHA256,
            allowed_values=list(p.SIGN_METHODS),
            description="hmac-sha256 (default) or the legacy md5.",
        ),
        th.Property("max_tries", th.IntegerType(minimum=1), default=6, description="Attempts per request before failing."),
        th.Property("retry_base_seconds", th.NumberType(minimum=0), default=1.0, description="First retry wait; doubles each try."),
        th.Property(
            "retry_max_wait_seconds",
            th.NumberType(minimum=0),
            default=60.0,
            description="Cap of one retry wait; a server Retry-After above it fails the sync with a clear message.",
        ),
    ).to_dict()

    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        errors = super()._validate_config(raise_errors=raise_errors)
        if errors:
            return errors
        extra = self._range_errors()
        if extra and raise_errors:
            raise ConfigValidationError("; ".join(extra), errors=extra, schema=self.config_jsonschema)
        return extra

    def _range_errors(self) -> list[str]:
        """Checks JSON Schema cannot express: offsets present, end after start."""
        errors: list[str] = []
        parsed = {}
        for key in ("start_date", "end_date"):
            value = self.config.get(key)
            if value is None:
                continue
            try:
                parsed[key] = parse_aware_datetime(value, key=key)
            except ValueError as exc:
                errors.append(str(exc))
        if "start_date" in parsed and "end_date" in parsed and parsed["end_date"] <= parsed["start_date"]:
            errors.append("config key 'end_date' must be after 'start_date'")
        return errors

    @cached_property
    def douyin_connection(self) -> DouyinConnection:
        """Shared by all streams: one request budget, signer and token per tap run."""
        return DouyinConnection.from_config(self.config, self.logger)

    def discover_streams(self) -> list[Stream]:
        return [OrdersStream(self)]


if __name__ == "__main__":
    TapDouyin.cli()
