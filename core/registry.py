"""The source systems orderlayer ships a tap for, discovered from the tap folders.

Every folder `taps/<name>/` that holds a `source.toml` is one source called `<name>`: a connection in
`orderlayer.yml` names it as its `source`. The declaration says which kind of system it is (a sales channel feeds
the order facts, an ERP the ERP side of reconciliation, a file source reads exports under a mapping), which tap runs
it, what a connection's `shop_id` means and which tap setting receives it, which settings name the app or user
(`identity_keys`: not secret, but kept beside the secrets), and which raw tables it fills. What the tap's config
schema already says is read from there, not declared again: which settings are secrets (`secret=True`), which
settings are required, and the default base URL. A connection's `credentials` map the secrets and identity keys to
environment variables. `setup.py` reads the same files for the `tap-<name>` console scripts, so adding a source edits no shared file.
"""

from __future__ import annotations

import importlib
import re
import tomllib
from dataclasses import dataclass, fields
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import orderlayer.taps

#: The file in a tap folder that declares its source.
DECLARATION = "source.toml"
KINDS = ("channel", "erp", "file", "carrier")
#: Secrets orderlayer gives every tap itself (the salt comes from `pii_salt_env`), never a connection's credentials.
RUN_SECRETS = frozenset({"pii_salt"})
#: The `currency`/`timezone` declaration of a source that states them itself (per record or in a mapping).
STATED_BY_SOURCE = "source"


class DeclarationError(ValueError):
    """A tap folder's `source.toml` is malformed; the message names the file, the key and the fix."""


#: Every tap takes its gateway as `base_url` (taps/common/tap.py accepts older names with a deprecation warning).
URL_KEY = "base_url"


@dataclass(frozen=True)
class Source:
    name: str
    #: channel: a sales channel's API; erp: an ERP's API; file: CSV/Excel exports under a mapping (its name is
    #: the channel name of its orders, docs/file-sources.md); carrier: a parcel carrier's tracking API (docs/logistics.md)
    kind: Literal["channel", "erp", "file", "carrier"]
    executable: str
    #: "module:Class" of the tap inside the source's package, e.g. "tap:TapJd"
    tap: str
    #: Settings that name the app or user (app key, client id, user name): not secrets in the tap's schema, but
    #: read from the environment with them.
    identity_keys: tuple[str, ...] = ()
    #: What a connection's `shop_id` means for this source (for error messages and docs).
    account_label: str = "shop id"
    #: The tap config key that receives the connection's `shop_id` (None: the tap has no such key).
    shop_key: str | None = "shop_id"
    #: The tap's streams, each landing in `<prefix>__<stream>` (None: the kind's default streams).
    streams: tuple[str, ...] | None = None
    #: The streams among them that read the platform's after-sale API (docs/refunds.md): gate R4 balances their
    #: records against fct_refunds + quarantine_refunds, the demo and the report name them.
    after_sale_streams: tuple[str, ...] = ()
    #: What the source itself states, so a connection need not: `currency` is the one ISO code the platform
    #: trades in, or "source" (each record carries its own, or a file source's mapping states it); `timezone`
    #: the one IANA zone all its shops keep, or "source" (the mapping states it, or an ERP whose documents give
    #: no shop a local date). None: every connection must set it.
    currency: str | None = None
    timezone: str | None = None
    #: A carrier's own waybill numbers (a regular expression, e.g. "^SF" for SF Express): the sync hands it the parcels
    #: whose number matches; a carrier without one (an aggregator) gets those no configured carrier claims.
    tracking_pattern: str | None = None
    #: "module:Class" of the source's push receiver (taps/common/push.py), e.g. "receiver:Kuaidi100Receiver";
    #: None: the source only polls. `orderlayer serve` routes the pushes of its connections to it (docs/serve.md).
    receiver: str | None = None
    #: "module:Class" of the source's push consumer (taps/common/push.py Consumer), for a platform that pushes over
    #: a channel serve keeps open (Taobao's TMC, Pinduoduo's PMC); None: it has none.
    consumer: str | None = None

    @property
    def connection_keys(self) -> dict[str, str]:
        """Tap settings orderlayer sets from a connection's own keys (or the run's salt): tap key -> where it goes."""
        keys = {URL_KEY: "base_url", "start_date": "start_date", **{key: "pii_salt_env" for key in RUN_SECRETS}}
        return {**keys, self.shop_key: "shop_id"} if self.shop_key else keys

    @property
    def option_keys(self) -> tuple[str, ...]:
        """Tap settings a connection may put under `options`: the schema's settings but the secrets and identity
        keys (they come from `credentials`) and those orderlayer sets from the connection's own keys."""
        properties = self.config_schema.get("properties", {})
        taken = {*self.connection_keys, *self.secret_keys}
        return tuple(sorted(key for key in properties if key not in taken))

    @property
    def package(self) -> str:
        return f"{orderlayer.taps.__name__}.{self.name}"

    @property
    def entry_point(self) -> str:
        """The console script's target, e.g. `orderlayer.taps.jd.tap:TapJd.cli`."""
        return entry_point(self.package, self.tap)

    def receiver_class(self) -> Any:  # noqa: ANN401 - a taps.common.push.Receiver; importing it needs the tap's dependencies
        """The push receiver class (None: the source declares none)."""
        return None if self.receiver is None else self._load(self.receiver)

    def consumer_class(self) -> Any:  # noqa: ANN401 - a taps.common.push.Consumer
        """The push consumer class (None: the source declares none)."""
        return None if self.consumer is None else self._load(self.consumer)

    @property
    def pushes(self) -> bool:
        """Whether the source has a push channel of either kind."""
        return self.receiver is not None or self.consumer is not None

    def push_streams(self) -> dict[str, tuple[str, ...]]:
        """The streams its pushes land in, with their key properties (receiver's and consumer's together)."""
        classes = [c for c in (self.receiver_class(), self.consumer_class()) if c is not None]
        return {stream: keys for c in classes for stream, keys in c.streams.items()}

    def _load(self, ref: str) -> Any:  # noqa: ANN401
        module, _, name = ref.partition(":")
        return getattr(importlib.import_module(f"{self.package}.{module}"), name)

    def tap_class(self) -> Any:  # noqa: ANN401 - a singer_sdk.Tap subclass; importing it needs the tap's dependencies
        module, _, name = self.tap.partition(":")
        return getattr(importlib.import_module(f"{self.package}.{module}"), name)

    @cached_property
    def config_schema(self) -> dict[str, Any]:
        """The tap's own config JSON schema (imports the tap on first use), without singer-sdk's built-in settings:
        the SDK adds those (stream maps, flattening, batch) to the class's schema in place once a tap object exists,
        so reading them would depend on what ran before; and orderlayer lands records as the platform sent them, so
        they are not connection options."""
        from singer_sdk.helpers.capabilities import BATCH_CONFIG, FLATTENING_CONFIG, STREAM_MAPS_CONFIG

        schema = dict(self.tap_class().config_jsonschema)
        builtin = {key for config in (BATCH_CONFIG, FLATTENING_CONFIG, STREAM_MAPS_CONFIG) for key in config["properties"]}
        schema["properties"] = {k: v for k, v in schema.get("properties", {}).items() if k not in builtin}
        schema["required"] = [k for k in schema.get("required", ()) if k not in builtin]
        return schema

    @property
    def secret_keys(self) -> tuple[str, ...]:
        """Tap config keys a connection's `credentials` map to environment variables: the identity keys and the
        settings the tap's schema marks `secret=True` (but the salt, which orderlayer passes itself)."""
        properties = self.config_schema.get("properties", {})
        return tuple(
            key for key, prop in properties.items()
            if key in self.identity_keys or (prop.get("secret") and key not in RUN_SECRETS)
        )

    @property
    def required_secrets(self) -> tuple[str, ...]:
        """The secret keys a sync cannot run without (the schema's `required`)."""
        required = set(self.config_schema.get("required", ()))
        return tuple(key for key in self.secret_keys if key in required)

    @property
    def default_base_url(self) -> str | None:
        """The tap's default `base_url` (None: every connection sets its own, e.g. a company's ERP host)."""
        return self.config_schema.get("properties", {}).get(URL_KEY, {}).get("default")

    @property
    def needs_base_url(self) -> bool:
        """Whether a connection must set `base_url`: the tap requires the URL and has no default for it."""
        return URL_KEY in self.config_schema.get("required", ()) and self.default_base_url is None

    @property
    def env_prefix(self) -> str:
        return self.executable.upper().replace("-", "_") + "_"

    def stream_tables(self, prefix: str) -> tuple[str, ...]:
        """Raw tables a sync of this source fills, for a connection whose data is named ``prefix``."""
        if self.streams is not None:
            return tuple(f"{prefix}__{stream}" for stream in self.streams)
        if self.kind == "erp":
            return (f"{prefix}__sales_orders",)
        if self.kind == "file":
            return (f"{prefix}__orders", f"{prefix}__lines")
        return (f"{prefix}__orders",)


def entry_point(package: str, tap: str) -> str:
    module, _, name = tap.partition(":")
    return f"{package}.{module}:{name}.cli"


def read_declaration(path: Path) -> dict[str, Any]:
    """A `source.toml` as Source keyword arguments (also used by setup.py, which cannot import the taps)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise DeclarationError(f"{path}: {exc}") from None
    allowed = {f.name for f in fields(Source)} - {"name"}
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise DeclarationError(f"{path}: unknown key {', '.join(unknown)}; use {', '.join(sorted(allowed))}")
    missing = [key for key in ("kind", "executable", "tap") if key not in data]
    if missing:
        raise DeclarationError(f"{path}: {', '.join(missing)} missing")
    if data["kind"] not in KINDS:
        raise DeclarationError(f"{path}: kind {data['kind']!r}; use one of {', '.join(KINDS)}")
    if ":" not in data["tap"]:
        raise DeclarationError(f"{path}: tap {data['tap']!r}; use 'module:Class', e.g. 'tap:TapJd'")
    for key, example in (("receiver", "receiver:Kuaidi100Receiver"), ("consumer", "consumer:TaobaoTmcConsumer")):
        if key in data and ":" not in str(data[key]):
            raise DeclarationError(f"{path}: {key} {data[key]!r}; use 'module:Class', e.g. '{example}'")
    if "shop_key" in data:
        # TOML has no null: an empty shop_key declares a tap without one
        data["shop_key"] = data["shop_key"] or None
    for key in ("streams", "identity_keys", "after_sale_streams"):
        if key in data:
            data[key] = tuple(data[key])
    undeclared = sorted(set(data.get("after_sale_streams", ())) - set(data.get("streams") or ()))
    if undeclared:
        raise DeclarationError(f"{path}: after_sale_streams {', '.join(undeclared)} not in streams; list them in streams too")
    currency = data.get("currency")
    if currency is not None and currency != STATED_BY_SOURCE and not re.fullmatch(r"[A-Z]{3}", str(currency)):
        raise DeclarationError(f"{path}: currency {currency!r}; use an ISO code such as 'CNY' or '{STATED_BY_SOURCE}'")
    zone = data.get("timezone")
    if zone is not None and zone != STATED_BY_SOURCE and "/" not in str(zone) and zone != "UTC":
        raise DeclarationError(f"{path}: timezone {zone!r}; use an IANA zone such as 'Asia/Shanghai' or '{STATED_BY_SOURCE}'")
    pattern = data.get("tracking_pattern")
    if pattern is not None:
        try:
            re.compile(str(pattern))
        except re.error as exc:
            raise DeclarationError(f"{path}: tracking_pattern {pattern!r} is not a regular expression ({exc})") from None
    return data


def declarations(root: Path) -> dict[str, Path]:
    """Source name -> its `source.toml`, for every tap folder under ``root``, in name order."""
    return {path.parent.name: path for path in sorted(root.glob(f"*/{DECLARATION}"))}


def discover(root: Path) -> dict[str, Source]:
    return {name: Source(name=name, **read_declaration(path)) for name, path in declarations(root).items()}


SOURCES: dict[str, Source] = discover(Path(next(iter(orderlayer.taps.__path__))))
CHANNELS: tuple[str, ...] = tuple(name for name, s in SOURCES.items() if s.kind == "channel")
ERPS: tuple[str, ...] = tuple(name for name, s in SOURCES.items() if s.kind == "erp")
CARRIERS: tuple[str, ...] = tuple(name for name, s in SOURCES.items() if s.kind == "carrier")


def source(name: str) -> Source:
    try:
        return SOURCES[name]
    except KeyError:
        raise KeyError(f"unknown source {name!r}; known: {', '.join(SOURCES)}") from None
