"""tap-kingdee: Kingdee K3Cloud (金蝶云星空) sales orders as a Singer tap (singer-sdk)."""

from __future__ import annotations

import typing as t
from functools import cached_property
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import requests
from singer_sdk import typing as th

from orderlayer.taps.common import options as opt
from orderlayer.taps.common.tap import ErpTap, source_properties
from orderlayer.taps.kingdee import protocol as p
from orderlayer.taps.kingdee.client import KingdeeAuthenticator, isolate_cookies
from orderlayer.taps.kingdee.streams import SalesOrdersStream

SECRET_KEYS = ("app_secret", "password", "pii_salt")


class TapKingdee(ErpTap):
    """Singer tap for K3Cloud ``SAL_SaleOrder`` (one tap config = one site data centre)."""

    name = "tap-kingdee"
    stream_classes = (SalesOrdersStream,)
    secret_keys = SECRET_KEYS
    renamed_keys: t.ClassVar[dict[str, str]] = {"server_url": "base_url", "auth_mode": "auth_method", "site_timezone": "source_timezone"}

    config_jsonschema = th.PropertiesList(
        th.Property("base_url", th.StringType, required=True, description="Site root, e.g. https://erp.example.com/k3cloud/ (customer-hosted; no shared cloud host). Formerly server_url."),
        opt.choice(
            "auth_method",
            p.AUTH_SIGNED,
            p.AUTH_MODES,
            "signed_headers (the official SDK's per-request signature; recommended) or validate_user (session login). Formerly auth_mode.",
        ),
        th.Property("acct_id", th.StringType, required=True, description="Data-centre id (not its name)."),
        th.Property("username", th.StringType, required=True, description="Integration user."),
        th.Property("app_id", th.StringType, description="AppID of the third-party login authorisation (<clientId>_<secret part>); signed_headers."),
        th.Property("app_secret", th.StringType, secret=True, description="AppSecret of that authorisation; signed_headers."),
        th.Property("password", th.StringType, secret=True, description="The user's password; validate_user."),
        th.Property("lcid", th.IntegerType, default=p.DEFAULT_LCID, description="Locale id (2052 = zh-CN)."),
        th.Property("org_num", th.StringType, default="0", description="Organisation number signed into X-Kd-Appdata (0 = default)."),
        opt.choice(
            "login_body_style",
            "object",
            ["object", "array"],
            "ValidateUser body: a JSON object (acctID, username, password, lcid) or a positional parameters array (unconfirmed which a site expects).",
        ),
        th.Property("source_timezone", th.StringType, default="Asia/Shanghai", description="IANA zone of the site's server clock (FModifyDate has no offset). Formerly site_timezone."),
        th.Property(
            "reference_field_key",
            th.StringType,
            default=p.DEFAULT_REFERENCE_FIELD,
            description="Header field holding the channel order number (customer-specific F_ field; unconfirmed name).",
        ),
        th.Property("extra_field_keys", th.ArrayType(th.StringType), default=[], description="More FieldKeys to read; FSaleOrderEntry_… keys are entry fields."),
        th.Property("filter_extra", th.StringType, description="Extra FilterString clause ANDed to the window, e.g. FDocumentStatus='C'."),
        th.Property("window_seconds", th.IntegerType(minimum=60), default=7 * 86_400, description="Length of one FModifyDate query window."),
        th.Property("page_size", th.IntegerType(minimum=1, maximum=p.MAX_LIMIT), default=p.MAX_LIMIT, description="Limit (rows per page; one row per entry line). <= 2000."),
        th.Property(
            "session_lost_msg_codes",
            th.ArrayType(th.IntegerType),
            default=[p.MSG_CONTEXT_LOST],
            description="ResponseStatus MsgCodes that mean the session is gone (log in again and retry); unconfirmed, default [1].",
        ),
        *source_properties(
            pii_subject="identifiers",
            max_requests_per_second=2,
            request_timeout=60,
            safety_lag_seconds=120,
            descriptions={"max_requests_per_second": "Client-side request budget (customer-hosted server; no documented quota)."},
        ),
    ).to_dict()

    def extra_config_errors(self) -> list[str]:
        """The credentials of the chosen auth mode, a well-formed AppID and a known site time zone."""
        errors: list[str] = []
        mode = self.config.get("auth_method", p.AUTH_SIGNED)
        needed = ("app_id", "app_secret") if mode == p.AUTH_SIGNED else ("password",)
        errors.extend(f"config key '{key}' is required with auth_method {mode}" for key in needed if not self.config.get(key))
        if mode == p.AUTH_SIGNED and self.config.get("app_id"):
            try:
                p.client_credentials(str(self.config["app_id"]))
            except ValueError as exc:
                errors.append(f"config key 'app_id': {exc}")
        try:
            ZoneInfo(str(self.config.get("source_timezone", "Asia/Shanghai")))
        except (ZoneInfoNotFoundError, ValueError):
            errors.append(f"config key 'source_timezone': unknown IANA zone {self.config.get('source_timezone')!r}")
        return errors

    def paced(self, session: requests.Session) -> requests.Session:
        return isolate_cookies(super().paced(session))

    @cached_property
    def kingdee_authenticator(self) -> KingdeeAuthenticator:
        c = self.config
        return KingdeeAuthenticator(
            mode=c.get("auth_method", p.AUTH_SIGNED),
            base_url=str(c["base_url"]),
            identity=p.SigningIdentity(
                app_id=str(c.get("app_id") or ""),
                app_secret=str(c.get("app_secret") or ""),
                acct_id=str(c["acct_id"]),
                username=str(c["username"]),
                lcid=int(c.get("lcid", p.DEFAULT_LCID)),
                org_num=str(c.get("org_num", "0")),
            ),
            password=c.get("password"),
            login_body_style=c.get("login_body_style", "object"),
            timeout=float(c.get("request_timeout", 60)),
            session=self.paced(requests.Session()),
            logger=self.logger,
            on_secret=self.secret_filter.add,
        )


if __name__ == "__main__":
    TapKingdee.cli()
