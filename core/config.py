"""`orderlayer.yml`: the one registry of connections, zones, currencies and gate thresholds.

Credentials are never stored here: a connection names the environment variables that hold them.
Every validation error names the key and the fix (see `ConfigError`).
"""

from __future__ import annotations

import difflib
import os
import re
from datetime import datetime
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    RootModel,
    ValidationError,
    field_validator,
    model_validator,
)

from orderlayer.core.alerts.settings import AlertSettings
from orderlayer.core.registry import SOURCES as _SOURCE_REGISTRY
from orderlayer.core.registry import STATED_BY_SOURCE

DEFAULT_DB = Path("warehouse/orderlayer.duckdb")
CONFIG_FILE = "orderlayer.yml"

#: Source systems orderlayer ships a tap for. A connection's `source` must be one of these.
SOURCES = tuple(_SOURCE_REGISTRY)


class ConfigError(Exception):
    """A configuration problem the user must fix; the message names the key and the fix."""


def _check_zone(value: str | None) -> str | None:
    if value is None:
        return value
    # Zone abbreviations such as CST are ambiguous (China vs US Central) and never accepted.
    if "/" not in value and value != "UTC":
        raise ValueError(f"'{value}' is not an IANA zone name; use e.g. 'Asia/Shanghai' or 'UTC'")
    try:
        ZoneInfo(value)
    except ZoneInfoNotFoundError as exc:
        raise ValueError(f"unknown IANA zone '{value}'; use e.g. 'Asia/Shanghai'") from exc
    return value


Zone = Annotated[str, Field(description="IANA zone name, e.g. Asia/Shanghai")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Credentials(RootModel[dict[str, str]]):
    """Tap config key -> name of the environment variable (never the value) that holds that secret."""

    root: dict[str, str] = Field(default_factory=dict)

    def resolve(self, connection: str) -> dict[str, str]:
        values: dict[str, str] = {}
        for key, env_name in self.root.items():
            value = os.environ.get(env_name)
            if value is None:
                raise ConfigError(
                    f"connections.{connection}.credentials.{key}: environment variable "
                    f"{env_name} is not set; export it before running"
                )
            values[key] = value
        return values


def closest(word: str, choices: list[str] | tuple[str, ...]) -> str:
    """' (did you mean x?)' for the choice closest to a misspelt ``word``, or ''."""
    match = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean {match[0]}?)" if match else ""


class Connection(_Strict):
    source: str = Field(description="one of orderlayer.core.registry.SOURCES")
    shop_id: str = Field(min_length=1)
    #: The shop's zone and currency; required unless the source states them (its source.toml `timezone`/`currency`).
    timezone: Zone | None = None
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    #: Default: the source's production gateway.
    base_url: str | None = None
    start_date: datetime | None = None
    credentials: Credentials = Credentials()
    # Tap-specific settings passed through (window size, page size, ...).
    options: dict[str, object] = Field(default_factory=dict)

    _zone = field_validator("timezone")(_check_zone)
    #: The channel a stored build used (core/settings_store.py), so judging it needs no mapping file.
    _channel: str | None = PrivateAttr(default=None)

    @field_validator("source")
    @classmethod
    def _known_source(cls, value: str) -> str:
        if value not in _SOURCE_REGISTRY:
            raise ValueError(f"unknown source '{value}'; use one of: {', '.join(_SOURCE_REGISTRY)}")
        return value

    @model_validator(mode="after")
    def _source_secrets(self) -> Connection:
        spec = _SOURCE_REGISTRY[self.source]
        unknown = sorted(set(self.credentials.root) - set(spec.secret_keys))
        if unknown:
            raise ValueError(
                f"credentials: {', '.join(unknown)} is not a secret of {self.source}; "
                f"its secrets are: {', '.join(spec.secret_keys)}"
            )
        return self

    @model_validator(mode="after")
    def _stated(self) -> Connection:
        spec = _SOURCE_REGISTRY[self.source]
        for key, example in (("timezone", "Asia/Shanghai"), ("currency", "CNY")):
            stated = getattr(spec, key)
            if getattr(self, key) is not None or stated == STATED_BY_SOURCE:
                continue
            if stated is None:
                raise ValueError(
                    f"{key}: required for a {self.source} connection ({self.source} does not state it); "
                    f"add e.g. `{key}: {example}`"
                )
            setattr(self, key, stated)  # the platform's only zone or currency (its source.toml)
        return self

    @model_validator(mode="after")
    def _options(self) -> Connection:
        spec = _SOURCE_REGISTRY[self.source]
        allowed = spec.option_keys
        for key in self.options:
            if key in spec.secret_keys:
                env = f"{self.source}_{key}".upper()
                raise ValueError(
                    f"options.{key}: a secret never goes in the file; export it in an environment variable and name "
                    f"that variable under credentials instead, e.g. `credentials: {{{key}: {env}}}` with {env} exported"
                )
            if key in spec.connection_keys:
                target = spec.connection_keys[key]
                where = "the top-level `pii_salt_env`" if target == "pii_salt_env" else f"the connection's own `{target}` key"
                raise ValueError(f"options.{key}: orderlayer sets it from {where}; move it there")
            if key not in allowed:
                raise ValueError(
                    f"options.{key}: not a setting of the {self.source} tap{closest(key, allowed)}; "
                    f"its options are: {', '.join(allowed) or '(none)'}"
                )
        return self

    @model_validator(mode="after")
    def _source_url(self) -> Connection:
        if self.base_url is None and _SOURCE_REGISTRY[self.source].needs_base_url:
            raise ValueError(
                f"base_url: {self.source} has no shared gateway (each company runs its own); "
                "set this connection's base_url to its system's URL"
            )
        return self

    @property
    def gateway(self) -> str | None:
        """The URL the tap calls: `base_url`, else the tap's default (None: the tap derives it, e.g. from the shop)."""
        return self.base_url or _SOURCE_REGISTRY[self.source].default_base_url

    @property
    def mapping_path(self) -> Path | None:
        """A file source's mapping (`options.mapping`, relative to the working directory)."""
        value = self.options.get("mapping")
        return Path(str(value)).expanduser().resolve() if value else None

    @property
    def channel(self) -> str:
        """The channel name this connection's orders carry: the source, or a file source's mapping name."""
        if self._channel is not None:
            return self._channel
        if _SOURCE_REGISTRY[self.source].kind != "file":
            return self.source
        return self._mapping().name

    @property
    def local_timezone(self) -> str | None:
        """The shop's zone: the connection's, else a file source's mapping's (None: an ERP's, which dates no shop)."""
        if self.timezone is not None or self._channel is not None or _SOURCE_REGISTRY[self.source].kind != "file":
            return self.timezone
        return self._mapping().timezone

    def _mapping(self):  # noqa: ANN202 - orderlayer.taps.files.mapping.Mapping
        from orderlayer.taps.files.mapping import MappingError, load_mapping

        try:
            return load_mapping(self.mapping_path)  # type: ignore[arg-type]
        except MappingError as exc:
            raise ConfigError(f"options.mapping: {exc}") from None

    @model_validator(mode="after")
    def _file_mapping(self) -> Connection:
        if _SOURCE_REGISTRY[self.source].kind == "file" and not self.options.get("mapping"):
            raise ValueError("options.mapping: a file source needs the path of its mapping YAML (docs/file-sources.md)")
        return self

    @field_validator("start_date")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("start_date needs an explicit offset, e.g. 2026-01-01T00:00:00+08:00")
        return value


class GateSettings(_Strict):
    """Thresholds of the gate catalogue (shared/design/metrics-and-gates.md), with its defaults."""

    future_skew_minutes: int = Field(default=10, ge=0, description="R3: how far ordered_at may be ahead of now")
    earliest_order_date: str = Field(default="2000-01-01", description="R3: ordered_at before this is an error")
    paid_before_ordered_tolerance_seconds: int = Field(default=60, ge=0, description="R3: paid_at >= ordered_at - this")
    example_keys: int = Field(default=5, ge=0, le=50, description="how many example order_keys a failing gate shows")
    trailing_runs: int = Field(default=7, ge=1, le=100, description="R5/Y3: earlier runs (with the gate green) the trailing value spans")
    order_value_ratio_min: float = Field(default=0.2, gt=0, description="R5: median order value / trailing median, lower bound")
    order_value_ratio_max: float = Field(default=5.0, gt=0, description="R5: median order value / trailing median, upper bound")
    quarantine_share_max: float = Field(default=0.005, ge=0, le=1, description="R6: red above this quarantined share (Y6: yellow above 0 up to it)")
    freshness_warn_minutes: int = Field(default=15, ge=1, description="Y1: yellow when a source's newest record is older")
    freshness_error_hours: int = Field(default=24, ge=1, description="Y1: red when a source's newest record is older")
    night_share_factor: float = Field(default=2.0, gt=1, description="Y3: night (00-06 local) share above this x trailing share")
    night_share_floor: float = Field(default=0.02, ge=0, le=1, description="Y3: trailing night share counts as at least this")
    night_min_orders: int = Field(default=50, ge=1, description="Y3: channels with fewer orders are not judged")
    volume_band_low: float = Field(default=0.3, ge=0, description="Y4: a day below this x its trailing median is an anomaly")
    volume_band_high: float = Field(default=3.0, gt=1, description="Y4: a day above this x its trailing median is an anomaly")
    volume_trailing_days: int = Field(default=28, ge=1, le=366, description="Y4: days before a day its trailing median spans")
    volume_min_history_days: int = Field(default=7, ge=1, description="Y4: a day needs this many trailing days to be judged")
    volume_days_judged: int = Field(default=7, ge=1, le=366, description="Y4: complete days before the latest day that are judged")
    volume_min_median_orders: float = Field(default=10, ge=0, description="Y4: channels with a lower trailing median are not judged")
    erp_consistency_target: float = Field(default=0.98, ge=0, le=1, description="Y5: erp_consistency_rate below this is yellow")
    erp_grace_hours: int = Field(default=24, ge=0, description="Y5: orders paid more recently are not expected in the ERP yet")
    promise_missing_max_share: float = Field(default=0.05, ge=0, le=1, description="Y7: share of paid orders without promised_ship_by")
    status_time_missing_max_share: float = Field(
        default=0.5, ge=0, le=1, description="Y8: share of a channel's orders in a status lacking the time it requires"
    )
    no_carrier_event_hours: int = Field(
        default=48, ge=1, le=24 * 60,
        description="Y9: a shipped order with a tracking number and no carrier event this long after shipping is flagged",
    )

    @model_validator(mode="after")
    def _ordered_bounds(self) -> GateSettings:
        if self.order_value_ratio_min >= self.order_value_ratio_max:
            raise ValueError("order_value_ratio_min must be below order_value_ratio_max")
        if self.volume_band_low >= self.volume_band_high:
            raise ValueError("volume_band_low must be below volume_band_high")
        if self.freshness_warn_minutes >= self.freshness_error_hours * 60:
            raise ValueError("freshness_warn_minutes must be below freshness_error_hours (in minutes)")
        return self


class ErpMatching(_Strict):
    """How one ERP's sales orders are matched to channel orders (docs/erp-reconciliation.md)."""

    reference_field: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z_][A-Za-z0-9_.]*$",
        description="JSON path in the raw ERP record that holds the channel order id, replacing the documented field",
    )
    strip_prefixes: list[str] = Field(default_factory=list, description="removed from the reference before matching, e.g. JD-")
    strip_suffixes: list[str] = Field(default_factory=list, description="removed from the reference before matching")
    #: ERP customer code -> "<channel>:<shop_id>" it stands for.
    customers: dict[str, str] = Field(default_factory=dict)

    @field_validator("customers")
    @classmethod
    def _shop_refs(cls, value: dict[str, str]) -> dict[str, str]:
        for code, shop in value.items():
            channel, _, shop_id = shop.partition(":")
            # a shipped channel, or a file source's mapping name
            if not re.fullmatch(r"[a-z][a-z0-9_]{1,40}", channel) or not shop_id:
                raise ValueError(f"customer {code}: '{shop}' must be '<channel>:<shop_id>', e.g. 'jd:10086'")
            if channel in _SOURCE_REGISTRY and _SOURCE_REGISTRY[channel].kind != "channel":
                raise ValueError(f"customer {code}: '{channel}' is not a sales channel")
        return value


class Reconciliation(_Strict):
    """Tolerances of the channel vs ERP reconciliation (fct_reconciliation_daily, map_order_ids conflicts)."""

    amount_tolerance: float = Field(default=0.01, ge=0, description="absolute amount difference still counted as agreeing")
    amount_tolerance_share: float = Field(default=0.0, ge=0, le=1, description="plus this share of the channel amount (daily rows)")
    count_tolerance: int = Field(default=0, ge=0, description="order-count difference per shop and day still within tolerance")


class PublishSettings(_Strict):
    """Write-audit-publish (docs/incremental.md): how many earlier published versions `publish --rollback` can restore."""

    keep_versions: int = Field(default=3, ge=1, le=100, description="published versions kept for publish --rollback")


class WarehouseSettings(_Strict):
    """Sharing the warehouse file (docs/operations.md): the writer lock and file permissions."""

    lock_wait_seconds: float = Field(default=60, ge=0, le=86400, description="how long a writer waits for another one to finish")
    private_files: bool = Field(default=True, description="create the database, logs, reports and exports 0600 (directories 0700)")


class ServeSettings(_Strict):
    """`orderlayer serve` (docs/serve.md): where it listens and how often it lands what it received."""

    host: str = Field(default="127.0.0.1", min_length=1, description="address to listen on (0.0.0.0: every interface)")
    port: int = Field(default=8765, ge=1, le=65535, description="TCP port to listen on")
    land_every_seconds: float = Field(default=2, gt=0, le=3600, description="how often serve lands spooled pushes in raw when no writer holds the warehouse")
    micro_batches: bool = Field(default=True, description="build, check and publish what pushes landed (false: serve only lands them; `run` builds)")
    publish_every_seconds: float = Field(default=10, ge=0, le=3600, description="a micro-batch starts at most this often (it starts once something landed)")
    reconcile_every_minutes: float = Field(default=15, gt=0, le=1440, description="how often serve runs the reconcile poll: an incremental sync of every connection, then build, check, publish")
    reconcile_at_start: bool = Field(default=True, description="run the reconcile poll when serve starts (it lands what changed while serve was down)")
    max_body_bytes: int = Field(default=1_048_576, ge=1024, le=64 * 1_048_576, description="a push body larger than this is refused")


class SparkSettings(_Strict):
    """`engine: spark` (docs/engines.md): how dbt and the loader reach Spark, and where its tables live."""

    method: Literal["session", "thrift"] = Field(default="session", description="session: Spark in-process on this machine; thrift: a Spark Thrift Server, Kyuubi or Databricks SQL endpoint")
    master: str = Field(default="local[2]", min_length=1, description="session only: the Spark master, e.g. local[2] or local[*]")
    host: str | None = Field(default=None, description="thrift only: the Thrift server's host")
    port: int = Field(default=10000, ge=1, le=65535, description="thrift only: the Thrift server's port")
    user: str | None = Field(default=None, description="thrift only: the user to connect as")
    auth: Literal["NONE", "NOSASL", "LDAP", "KERBEROS"] | None = Field(default=None, description="thrift only: the Thrift server's authentication")
    password_env: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", description="thrift, LDAP: the environment variable holding the password")
    warehouse_dir: str | None = Field(default=None, min_length=1, description="where Spark keeps the tables, raw included (a path, hdfs:// or s3a:// URL); default: the database folder's warehouse/")
    conf: dict[str, str] = Field(default_factory=dict, description="further Spark settings, e.g. spark.driver.memory: 4g")

    @model_validator(mode="after")
    def _thrift_host(self) -> SparkSettings:
        if self.method == "thrift" and not self.host:
            raise ValueError("spark.host: method thrift needs the Thrift server's host; add `host:` (and `port:`)")
        return self


class Settings(_Strict):
    database: Path = DEFAULT_DB
    #: the warehouse engine (docs/engines.md): duckdb, a file; spark, a folder holding Spark's catalog and tables
    engine: Literal["duckdb", "spark"] = "duckdb"
    spark: SparkSettings = SparkSettings()
    reporting_timezone: Zone = "Asia/Shanghai"
    reporting_currency: str = Field(default="CNY", pattern=r"^[A-Z]{3}$")
    # Name of the environment variable holding the salt for hashing buyer identities.
    pii_salt_env: str = "ORDERLAYER_PII_SALT"
    connections: dict[str, Connection] = Field(default_factory=dict)
    gates: GateSettings = GateSettings()
    #: Per ERP source name: matching rules.
    erp_matching: dict[str, ErpMatching] = Field(default_factory=dict)
    reconciliation: Reconciliation = Reconciliation()
    publish: PublishSettings = PublishSettings()
    warehouse: WarehouseSettings = WarehouseSettings()
    serve: ServeSettings = ServeSettings()
    alerts: AlertSettings = AlertSettings()
    #: Per currency code (or `default`): the most one order may be paid, in whole major units, before it is
    #: quarantined as absurd; merged over the defaults in macros/amounts.sql (docs/canonical-order-model.md A5).
    amount_ceilings: dict[str, int] = Field(default_factory=dict)

    _zone = field_validator("reporting_timezone")(_check_zone)
    #: Where these settings came from: the file read, or None when no file was (every value a default).
    _file: Path | None = PrivateAttr(default=None)
    _defaults_only: bool = PrivateAttr(default=False)

    @property
    def origin(self) -> str:
        """What to call these settings in a message: the file they were read from."""
        return str(self._file) if self._file else CONFIG_FILE

    @property
    def defaults_only(self) -> bool:
        """No configuration file was found: nothing here was chosen by the user."""
        return self._defaults_only

    @field_validator("amount_ceilings")
    @classmethod
    def _ceilings(cls, value: dict[str, int]) -> dict[str, int]:
        for code, ceiling in value.items():
            if code != "default" and not re.fullmatch(r"[A-Z]{3}", code):
                raise ValueError(f"amount_ceilings: key {code!r} is not a currency code like CNY or 'default'")
            if ceiling <= 0:
                raise ValueError(f"amount_ceilings.{code}: {ceiling} must be a positive amount in major units")
        return value

    @model_validator(mode="after")
    def _unique_shops(self) -> Settings:
        seen: dict[tuple[str, str], str] = {}
        for name, conn in self.connections.items():
            key = (conn.source, conn.shop_id, str(conn.options.get("mapping", "")))
            if key in seen:
                raise ValueError(
                    f"connections {seen[key]} and {name} both point at {conn.source} shop {conn.shop_id}; remove one"
                )
            seen[key] = name
        return self

    @field_validator("erp_matching")
    @classmethod
    def _erp_names(cls, value: dict[str, ErpMatching]) -> dict[str, ErpMatching]:
        for name in value:
            if name not in _SOURCE_REGISTRY or _SOURCE_REGISTRY[name].kind != "erp":
                erps = [n for n, src in _SOURCE_REGISTRY.items() if src.kind == "erp"]
                raise ValueError(f"'{name}' is not an ERP source; use one of: {', '.join(erps) or '(none)'}")
        return value

    def pii_salt(self) -> str:
        salt = os.environ.get(self.pii_salt_env)
        if not salt:
            raise ConfigError(
                f"pii_salt_env: environment variable {self.pii_salt_env} is not set; export a long random "
                "string there (it salts the hashes of buyer identities)"
            )
        return salt


def _keys_at(loc: tuple) -> list[str]:
    """The keys the model at ``loc`` (a path into Settings, through mappings of models) accepts."""
    model: type[BaseModel] = Settings
    for part in loc:
        if part not in model.model_fields:  # a mapping's key (a connection or ERP name)
            continue
        annotation = model.model_fields[part].annotation
        inner = getattr(annotation, "__args__", (annotation,))[-1]  # dict[str, X] -> X
        if not (isinstance(inner, type) and issubclass(inner, BaseModel)):
            return []
        model = inner
    return list(model.model_fields)


def _format_error(exc: ValidationError, source: str) -> str:
    lines = [f"{source} is not valid:"]
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"]) or "(top level)"
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            allowed = _keys_at(err["loc"][:-1])
            msg = f"unknown key{closest(str(err['loc'][-1]), allowed)}; the keys here are: {', '.join(allowed)}"
        elif err["type"] == "missing":
            msg = "required key is missing; add it"
        elif err["type"] == "value_error":
            msg = msg.removeprefix("Value error, ")
        lines.append(f"  {key}: {msg}")
    return "\n".join(lines)


def load_settings(path: Path | None = None, db: Path | None = None) -> Settings:
    """Read `orderlayer.yml` (or `path`); with no file, the defaults. `db` overrides `database`."""
    data: dict = {}
    source = str(path) if path else CONFIG_FILE
    candidate = path or Path(CONFIG_FILE)
    if path is not None and not path.exists():
        raise ConfigError(f"--config {path}: file not found; run `orderlayer init` to write a starter file")
    if candidate.exists():
        try:
            data = yaml.safe_load(candidate.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"{source}: not valid YAML ({exc}); fix the syntax") from exc
        if not isinstance(data, dict):
            raise ConfigError(f"{source}: the top level must be a mapping of keys such as `connections:`")
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_error(exc, source)) from exc
    if db is not None:
        settings = settings.model_copy(update={"database": db})
    settings._file = candidate if candidate.exists() else None
    settings._defaults_only = not candidate.exists()
    return settings


STARTER = """\
# orderlayer.yml — the one registry of connections, zones, currencies and gate thresholds.
# Secrets never go here: `credentials` names the environment variables that hold them.

database: warehouse/orderlayer.duckdb
engine: duckdb                        # duckdb (one file), or spark (docs/engines.md; needs `pip install orderlayer[spark]`)
# spark:                              # only with engine: spark
#   method: session                   # session: Spark in-process (local[2]); thrift: a Thrift Server / Kyuubi
#   master: local[2]
#   host: spark-thrift.internal       # thrift only
#   port: 10000
#   warehouse_dir: s3a://bucket/orderlayer   # default: <database>/warehouse
reporting_timezone: Asia/Shanghai     # business_date is computed in this IANA zone
reporting_currency: CNY
pii_salt_env: ORDERLAYER_PII_SALT     # env var with a long random string; salts buyer-id hashes

connections:
  douyin_main:
    source: douyin
    shop_id: "7784061"                # text: platform ids never go through a float
    timezone: Asia/Shanghai           # the shop's own zone, for shop_local_date
    currency: CNY
    base_url: https://openapi-fxg.jinritemai.com
    start_date: "2026-01-01T00:00:00+08:00"   # first sync only; later syncs resume from the bookmark
    credentials:
      app_key: DOUYIN_APP_KEY
      app_secret: DOUYIN_APP_SECRET
      access_token: DOUYIN_ACCESS_TOKEN
      refresh_token: DOUYIN_REFRESH_TOKEN   # refreshed tokens are kept in <database dir>/tokens/douyin_main.json (docs/token-store.md)
    options:
      window_seconds: 21600           # update_time window per query (the platform's maximum is unconfirmed)
      page_size: 100                  # at most 100
  # More sources (docs/channels/<source>.md lists each one's credentials and options):
  # jd_main:       {source: jd, shop_id: "10086001", credentials: {app_key: JD_APP_KEY, app_secret: JD_APP_SECRET, access_token: JD_ACCESS_TOKEN}}
  # shopify_us:    {source: shopify, shop_id: acme-tea-us, timezone: America/New_York, currency: USD, credentials: {access_token: SHOPIFY_TOKEN}}
  # wechat_export: {source: files, shop_id: wx-shop-01, options: {mapping: file_sources/wechat_shop.yml}}   # docs/file-sources.md
  # sap_1710:      {source: sap, shop_id: "1710", base_url: "https://my-s4.example.com", credentials: {username: SAP_USER, password: SAP_PASSWORD}}

# One order across systems (docs/erp-reconciliation.md): how each ERP spells channel order ids, and which ERP
# customer stands for which shop.
erp_matching: {}
#  sap:
#    strip_prefixes: ["DY", "JD-"]
#    strip_suffixes: ["-01"]
#    customers: {"1000231": "douyin:7784061"}
reconciliation:
  amount_tolerance: 0.01              # an order's ERP amount may differ by this much and still agree
  amount_tolerance_share: 0.0         # daily rows: plus this share of the channel amount
  count_tolerance: 0                  # daily rows: order-count difference still within tolerance

publish:
  keep_versions: 3                    # earlier published versions kept; `orderlayer publish --rollback` restores them

warehouse:                            # docs/operations.md
  lock_wait_seconds: 60               # a writer (sync, run, …) waits this long for another one, then exits 1
  private_files: true                 # database, logs, reports, exports created 0600 (directories 0700)

serve:                                # `orderlayer serve`: platform pushes to published facts (docs/continuous.md)
  host: 127.0.0.1                     # put it behind a TLS proxy to take pushes from the internet
  port: 8765                          # routes POST /push/<source>/<connection> for connections with a push channel
  land_every_seconds: 2               # lands spooled pushes in raw this often, when no writer holds the warehouse
  micro_batches: true                 # build, check and publish what landed (false: only land; `run` builds)
  publish_every_seconds: 10           # a micro-batch starts at most this often
  reconcile_every_minutes: 15         # the reconcile poll: incremental sync of every connection, build, check, publish
  reconcile_at_start: true            # the poll also runs when serve starts
  max_body_bytes: 1048576             # a larger push is refused

alerts:                               # gate lights to their owners when they change (docs/alerts.md)
  destinations: {}
#  data_team:                         # DingTalk custom robot; secrets come from the named environment variables
#    kind: dingtalk
#    webhook_env: DINGTALK_WEBHOOK    # https://oapi.dingtalk.com/robot/send?access_token=...
#    secret_env: DINGTALK_SECRET      # the robot's signing secret (SEC...), if it signs
#  jd_ops: {kind: wecom, webhook_env: WECOM_WEBHOOK, channels: [jd]}             # only jd's lights
#  finance: {kind: slack, webhook_env: SLACK_WEBHOOK, gates: [R2, R5, Y5]}      # only these gates
#  oncall: {kind: email, host: smtp.example.com, port: 587, security: starttls, username_env: SMTP_USER,
#           password_env: SMTP_PASSWORD, sender: orderlayer@example.com, to: [oncall@example.com]}
  timeout_seconds: 5                  # a destination slower than this is logged and skipped
  # report_url: https://reports.example.com/orderlayer   # where reports/report-<run>.html are served

gates:                                # the catalogue's defaults; red blocks publish, yellow warns
  future_skew_minutes: 10             # R3: ordered_at may be at most this far ahead of the run's clock
  earliest_order_date: "2000-01-01"   # R3: ordered_at before this is an error
  paid_before_ordered_tolerance_seconds: 60   # R3: paid_at >= ordered_at - this
  example_keys: 5                     # example keys a failing gate shows (order_key, never personal data)
  trailing_runs: 7                    # R5, Y3: "trailing" = median over this many earlier runs where the gate was green
  order_value_ratio_min: 0.2          # R5: a channel's median order value / its trailing median must stay
  order_value_ratio_max: 5.0          #     within [min, max] (catches fen read as yuan: 100x)
  quarantine_share_max: 0.005         # R6: red above 0.5% of a channel's orders quarantined; Y6: yellow above 0
  freshness_warn_minutes: 15          # Y1: yellow when a source's newest synced record is older than this
  freshness_error_hours: 24           # Y1: red beyond this
  night_share_factor: 2.0             # Y3: yellow when the 00:00-06:00 local share is above factor x trailing share
  night_share_floor: 0.02             #     (the trailing share counts as at least the floor)
  night_min_orders: 50                #     channels with fewer orders are not judged
  volume_band_low: 0.3                # Y4: a day's orders outside [low, high] x the trailing median of the
  volume_band_high: 3.0               #     days before it is yellow
  volume_trailing_days: 28            #     how many days that median spans
  volume_min_history_days: 7          #     a day needs this many days before it to be judged
  volume_days_judged: 7               #     the complete days before the latest (possibly partial) day judged
  volume_min_median_orders: 10        #     channels with a lower trailing median are not judged
  erp_consistency_target: 0.98        # Y5: yellow below this (not applicable until an ERP connection exists)
  erp_grace_hours: 24                 # Y5: orders paid more recently are not yet expected in the ERP
  promise_missing_max_share: 0.05     # Y7: yellow when more paid orders than this lack promised_ship_by
  status_time_missing_max_share: 0.5  # Y8: yellow when more of a channel's paid (shipped, completed) orders than this
                                      #     lack paid_at (shipped_at, completed_at)
  no_carrier_event_hours: 48          # Y9: yellow for shipped orders with a tracking number and no carrier event after this
"""
