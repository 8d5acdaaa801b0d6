"""What every source tap's config shares: the sync range and request settings, and their validation.

Each ``taps/<source>/tap.py`` declares only its own connection and paging properties (built with
:mod:`~orderlayer.taps.common.options` where they are the common ones), adds :func:`source_properties` for the rest, and subclasses :class:`SourceTap` so the checks JSON Schema cannot
express (offset-aware dates, end after start) run the same way everywhere.

One setting has one name in every tap (``base_url``, ``retriable_error_codes``, ``source_timezone``,
``auth_method``); a tap that used another name lists it in :attr:`SourceTap.renamed_keys`, and
:func:`rename_deprecated_keys` still accepts it, with a warning naming the new key.
"""

from __future__ import annotations

import typing as t
from datetime import datetime, timezone
from functools import cached_property

from singer_sdk import Tap
from singer_sdk import typing as th
from singer_sdk.exceptions import ConfigValidationError

from orderlayer.taps.common.http import mount_rate_limiter
from orderlayer.taps.common.ratelimit import TokenBucket
from orderlayer.taps.common.redact import SecretFilter, install_secret_filter
from orderlayer.taps.common.timeutil import parse_aware_datetime, to_epoch_seconds
from orderlayer.taps.common.tokens import STORE_CONFIG_KEY

if t.TYPE_CHECKING:
    import logging
    from collections.abc import Mapping

    import requests
    from singer_sdk.streams import Stream

    from orderlayer.taps.common.http import Connection

__all__ = ["ErpTap", "SourceTap", "date_range_errors", "rename_deprecated_keys", "source_properties"]

#: The wording most taps use; a tap replaces one through ``descriptions`` when its platform adds a fact.
_DESCRIPTIONS: dict[str, str] = {
    "start_date": "ISO-8601 with offset; where the first sync starts. Ignored once state has a bookmark.",
    "end_date": "ISO-8601 with offset; default: now minus safety_lag_seconds.",
    "safety_lag_seconds": "Default end is this many seconds before now.",
    "max_requests_per_second": "Client-side request budget for this app (retries and token refreshes included).",
    "request_timeout": "Seconds per HTTP request.",
    "max_tries": "Attempts per request before failing.",
    "retry_base_seconds": "First retry wait; doubles each try.",
    "retry_max_wait_seconds": "Cap of one retry wait; a server Retry-After above it fails the sync with a clear message.",
    "token_store_path": (
        "JSON file that keeps the tokens a refresh returns, so they survive the process (created 0600 in a 0700 "
        "directory; docs/token-store.md). Unset: refreshed tokens live only in memory."
    ),
}


def source_properties(
    *,
    pii_subject: str,
    max_requests_per_second: float,
    request_timeout: float,
    safety_lag_seconds: int = 60,
    retry_base_seconds: float = 1.0,
    retry_max_wait_seconds: float = 60.0,
    descriptions: Mapping[str, str] | None = None,
    token_store: bool = False,
) -> list[th.Property]:
    """The config properties every source tap has, with the defaults that differ per platform as arguments.

    ``pii_subject`` names what the salt pseudonymises (shown in ``--about``); ``descriptions`` replaces the
    wording of a shared property where a platform fact belongs in it (e.g. its published quota);
    ``token_store`` adds ``token_store_path`` for taps that refresh tokens (:mod:`~orderlayer.taps.common.tokens`).
    """
    text = dict(_DESCRIPTIONS)
    text["pii_salt"] = f'Salt for pseudonymising {pii_subject} ("sha256:" + sha256(salt + value)). Keep it stable.'
    unknown = set(descriptions or {}) - set(text)
    if unknown:  # a typo would silently keep the generic wording
        msg = f"descriptions for properties source_properties does not declare: {sorted(unknown)}"
        raise KeyError(msg)
    text.update(descriptions or {})
    optional = (
        [th.Property(STORE_CONFIG_KEY, th.StringType(min_length=1), description=text[STORE_CONFIG_KEY])] if token_store else []
    )

    def tuned(name: str, kind: th.JSONTypeHelper, default: float) -> th.Property:
        """A setting whose default the platform decides."""
        return th.Property(name, kind, default=default, description=text[name])

    return [
        th.Property("start_date", th.DateTimeType, required=True, description=text["start_date"]),
        th.Property("end_date", th.DateTimeType, description=text["end_date"]),
        tuned("safety_lag_seconds", th.IntegerType(minimum=0), safety_lag_seconds),
        tuned("max_requests_per_second", th.NumberType(exclusive_minimum=0), max_requests_per_second),
        th.Property("pii_salt", th.StringType(min_length=1), required=True, secret=True, description=text["pii_salt"]),
        tuned("request_timeout", th.NumberType(exclusive_minimum=0), request_timeout),
        tuned("max_tries", th.IntegerType(minimum=1), 6),
        tuned("retry_base_seconds", th.NumberType(minimum=0), retry_base_seconds),
        tuned("retry_max_wait_seconds", th.NumberType(minimum=0), retry_max_wait_seconds),
        *optional,
    ]


def date_range_errors(config: Mapping[str, t.Any], *, whole_seconds: bool = False) -> list[str]:
    """Checks JSON Schema cannot express: offsets present on start/end, end after start.

    ``whole_seconds`` compares floored epoch seconds, for platforms that only speak whole seconds (an end
    inside the start's second is then an empty range).
    """
    errors: list[str] = []
    parsed: dict[str, t.Any] = {}
    for key in ("start_date", "end_date"):
        value = config.get(key)
        if value is None:
            continue
        try:
            moment = parse_aware_datetime(value, key=key)
        except ValueError as exc:
            errors.append(str(exc))
            continue
        parsed[key] = to_epoch_seconds(moment) if whole_seconds else moment
    if "start_date" in parsed and "end_date" in parsed and parsed["end_date"] <= parsed["start_date"]:
        errors.append("config key 'end_date' must be after 'start_date'")
    return errors


def rename_deprecated_keys(config: Mapping[str, t.Any], renamed: Mapping[str, str], logger: logging.Logger) -> dict[str, t.Any]:
    """A copy of ``config`` with each deprecated key (``renamed``: old -> new) under its new name.

    Each old key found is warned about once, by name only (never its value: it may be a secret). When both
    names are set the new one wins and the old one is dropped.
    """
    result = dict(config)
    for old, new in renamed.items():
        if old not in result:
            continue
        value = result.pop(old)
        if new in result:
            logger.warning("config key '%s' is deprecated and ignored: '%s' is set too; remove '%s'", old, new, old)
            continue
        logger.warning("config key '%s' is deprecated: rename it to '%s' (the old name is still accepted)", old, new)
        result[new] = value
    return result


#: The distribution every tap ships in (packaging/taps/): `--about` reports its version. singer-sdk looks up a
#: distribution named like the tap (`tap-jd`) otherwise, which does not exist.
DISTRIBUTION = "orderlayer-taps"


class SourceTap(Tap):
    """A singer-sdk tap whose config validation adds the shared date checks and a tap-specific hook."""

    package_name = DISTRIBUTION

    #: Config keys this tap once spelled differently: old name -> the uniform name (see module docstring).
    renamed_keys: t.ClassVar[Mapping[str, str]] = {}
    #: The tap's streams, in the order they sync.
    stream_classes: t.ClassVar[tuple[type[Stream], ...]] = ()
    #: What all streams of one run share (request budget, signer, token), for taps that have one.
    connection_class: t.ClassVar[type[Connection] | None] = None

    @cached_property
    def connection(self) -> Connection:
        """Shared by all streams: one request budget, signer and token per tap run."""
        if self.connection_class is None:
            msg = f"{self.name} declares no connection_class"
            raise TypeError(msg)
        return self.connection_class.from_config(self.config, self.logger)

    def discover_streams(self) -> list[Stream]:
        return [stream_class(self) for stream_class in self.stream_classes]

    @classmethod
    def for_fetch(cls, config: Mapping[str, t.Any]) -> t.Self:
        """The tap of a push channel's connection, whose streams fetch records by id (taps/common/push.py Fetcher):
        validated like a sync's, from the config serve has. It has no sync range and by-id fetches read none, so a
        missing ``start_date`` becomes the range's end (or now)."""
        start = config.get("end_date") or datetime.now(timezone.utc).isoformat()
        return cls(config={"start_date": start, **config}, parse_env_config=False, validate_config=True)

    def load_streams(self) -> list[Stream]:
        # singer-sdk orders streams by name; sync them as declared instead (orders before the records about them).
        rank = {stream_class.name: k for k, stream_class in enumerate(self.stream_classes)}
        return sorted(super().load_streams(), key=lambda stream: rank.get(stream.name, len(rank)))

    #: Where the hook's errors stand in the joined message: most taps list them first; those that
    #: always listed them after the date checks set this, so their error texts stay as they were.
    range_checks_first: t.ClassVar[bool] = False
    #: Compare start and end in floored epoch seconds (see :func:`date_range_errors`).
    range_in_whole_seconds: t.ClassVar[bool] = False

    def extra_config_errors(self) -> list[str]:
        """Tap-specific checks JSON Schema cannot express (credential pairs, time zones, ...)."""
        return []

    def config_errors(self) -> list[str]:
        """Every semantic config error, in the order the message lists them."""
        ranges = date_range_errors(self.config, whole_seconds=self.range_in_whole_seconds)
        extra = self.extra_config_errors()
        return [*ranges, *extra] if self.range_checks_first else [*extra, *ranges]

    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        # singer-sdk validates right after reading the config: the old names become new ones first.
        if self.renamed_keys:
            self._config = rename_deprecated_keys(self._config, self.renamed_keys, self.logger)
        errors = super()._validate_config(raise_errors=raise_errors)
        if errors:
            return errors  # schema errors first: the semantic checks assume well-typed values
        errors = self.config_errors()
        if errors and raise_errors:
            raise ConfigValidationError("; ".join(errors), errors=errors, schema=self.config_jsonschema)
        return errors



class ErpTap(SourceTap):
    """SAP, Kingdee and Yonyou: the tap holds the run's secret filter and request budget, which the stream's
    session and the authenticator's own (token / login) session share."""

    #: Config keys whose values never reach a log line.
    secret_keys: t.ClassVar[tuple[str, ...]] = ("pii_salt",)

    @cached_property
    def secret_filter(self) -> SecretFilter:
        secrets = SecretFilter(str(self.config[k]) for k in self.secret_keys if self.config.get(k))
        install_secret_filter(secrets, ("urllib3.connectionpool", "backoff", self.name, f"{self.name}.sales_orders"))
        return secrets

    @cached_property
    def request_bucket(self) -> TokenBucket:
        # The schema's default, in case the config reaches us without defaults applied.
        default = self.config_jsonschema["properties"]["max_requests_per_second"]["default"]
        return TokenBucket(float(self.config.get("max_requests_per_second", default)))

    def paced(self, session: requests.Session) -> requests.Session:
        """``session`` sending through the run's request budget (the authenticator's and every stream's)."""
        return mount_rate_limiter(session, self.request_bucket)

    def discover_streams(self) -> list[Stream]:
        streams = super().discover_streams()
        for stream in streams:
            self.paced(stream.requests_session)  # type: ignore[attr-defined]
        return streams
