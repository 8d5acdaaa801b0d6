"""tap-sap: SAP S/4HANA sales orders (``API_SALES_ORDER_SRV``, OData V2) as a Singer tap (singer-sdk)."""

from __future__ import annotations

import typing as t
from functools import cached_property

import requests
from singer_sdk import typing as th

from orderlayer.taps.common.redact import SecretFilter
from orderlayer.taps.common import options as opt
from orderlayer.taps.common.tap import ErpTap, source_properties
from orderlayer.taps.sap import protocol as p
from orderlayer.taps.sap.client import SapAuthenticator
from orderlayer.taps.sap.streams import SalesOrdersStream

#: Config keys whose values never reach a log line.
SECRET_KEYS = ("password", "client_secret", "pii_salt")


class TapSap(ErpTap):
    """Singer tap for S/4HANA sales orders (one tap config = one system / communication arrangement)."""

    name = "tap-sap"
    stream_classes = (SalesOrdersStream,)
    secret_keys = SECRET_KEYS

    config_jsonschema = th.PropertiesList(
        th.Property("base_url", th.StringType, required=True, description="System root, e.g. https://my123456-api.s4hana.cloud.sap (the -api host); the service path is appended."),
        opt.choice(
            "auth_method",
            p.AUTH_BASIC,
            p.AUTH_METHODS,
            "basic (communication user) or oauth2_client_credentials (OAuth client of the arrangement; unconfirmed for this API).",
        ),
        th.Property("username", th.StringType, description="Communication user (auth_method basic)."),
        th.Property("password", th.StringType, secret=True, description="Communication user's password (auth_method basic)."),
        th.Property("client_id", th.StringType, description="OAuth client id (auth_method oauth2_client_credentials)."),
        th.Property("client_secret", th.StringType, secret=True, description="OAuth client secret."),
        th.Property("token_url", th.StringType, description=f"OAuth token endpoint; default base_url + {p.OAUTH_TOKEN_PATH}."),
        th.Property("sap_client", th.StringType, description="SAP client (sap-client query parameter), e.g. 100; omitted when unset."),
        th.Property("window_seconds", th.IntegerType(minimum=60), default=7 * 86_400, description="Length of one LastChangeDateTime query window."),
        th.Property(
            "page_size",
            th.IntegerType(minimum=1, maximum=p.MAX_TOP),
            default=p.DEFAULT_TOP,
            description="$top per request (KBA 3616518 shows 300-1000 working; keep <= 5000).",
        ),
        *source_properties(
            pii_subject="CreatedByUser",
            max_requests_per_second=5,
            request_timeout=60,
            safety_lag_seconds=300,
            descriptions={"max_requests_per_second": "Client-side request budget (no documented server quota)."},
        ),
    ).to_dict()

    def extra_config_errors(self) -> list[str]:
        """The credentials of the chosen auth method."""
        method = self.config.get("auth_method", p.AUTH_BASIC)
        needed = ("username", "password") if method == p.AUTH_BASIC else ("client_id", "client_secret")
        return [f"config key '{key}' is required with auth_method {method}" for key in needed if not self.config.get(key)]

    @cached_property
    def sap_authenticator(self) -> SapAuthenticator:
        """One authenticator per run: the OAuth token is shared by every request."""
        base = str(self.config["base_url"]).rstrip("/")
        return _RedactingAuthenticator(
            method=self.config.get("auth_method", p.AUTH_BASIC),
            username=self.config.get("username"),
            password=self.config.get("password"),
            client_id=self.config.get("client_id"),
            client_secret=self.config.get("client_secret"),
            token_url=self.config.get("token_url") or base + p.OAUTH_TOKEN_PATH,
            timeout=float(self.config.get("request_timeout", 60)),
            session=self.paced(requests.Session()),
            logger=self.logger,
            secret_filter=self.secret_filter,
        )


class _RedactingAuthenticator(SapAuthenticator):
    """Registers every fetched bearer token with the tap's secret filter."""

    def __init__(self, *, secret_filter: SecretFilter, **kwargs: t.Any) -> None:  # noqa: ANN401
        super().__init__(**kwargs)
        self._secret_filter = secret_filter

    def _fetch_token(self) -> str:
        token = super()._fetch_token()
        self._secret_filter.add(token)
        return token


if __name__ == "__main__":
    TapSap.cli()
