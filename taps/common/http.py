"""HTTP transport pieces shared by the taps, and the :class:`Connection` all streams of one tap run share."""

from __future__ import annotations

import abc
import typing as t
from dataclasses import dataclass

import requests
from requests.adapters import HTTPAdapter

from orderlayer.taps.common.ratelimit import RetryPolicy, TokenBucket
from orderlayer.taps.common.redact import guard_config_secrets
from orderlayer.taps.common.refresh import TokenCalls
from orderlayer.taps.common.tokens import TokenKeeper

if t.TYPE_CHECKING:
    import logging
    from collections.abc import Mapping

    from orderlayer.taps.common.redact import SecretFilter

__all__ = ["Connection", "RateLimitedAdapter", "mount_rate_limiter", "paced_session"]

#: Libraries whose log lines may repeat a URL (with a signed query or a token in it).
THIRD_PARTY_LOGGERS = ("urllib3.connectionpool", "backoff")


class RateLimitedAdapter(HTTPAdapter):
    """Takes a token from a shared bucket before every real HTTP send.

    Throttling at the transport (rather than per page) also paces retries and token
    refreshes, which are exactly the calls a platform counts against the app budget.
    """

    def __init__(self, bucket: TokenBucket, **kwargs: t.Any) -> None:
        self.bucket = bucket
        super().__init__(**kwargs)

    def send(self, request: requests.PreparedRequest, *args: t.Any, **kwargs: t.Any) -> requests.Response:  # type: ignore[override]
        self.bucket.acquire()
        return super().send(request, *args, **kwargs)


def mount_rate_limiter(session: requests.Session, bucket: TokenBucket) -> requests.Session:
    """Route every http(s) call of ``session`` through ``bucket``."""
    adapter = RateLimitedAdapter(bucket)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def paced_session(config: Mapping[str, t.Any], *, default_rate: float) -> tuple[TokenBucket, requests.Session]:
    """The app's request budget (config ``max_requests_per_second``, else the platform's ``default_rate``) and a
    session paced by it: the token calls of a tap's authenticator spend the same budget as its streams."""
    bucket = TokenBucket(float(config.get("max_requests_per_second", default_rate)))
    return bucket, mount_rate_limiter(requests.Session(), bucket)


AuthT = t.TypeVar("AuthT")


@dataclass
class Connection(abc.ABC, t.Generic[AuthT]):
    """What all streams of one tap run share: the request budget, the session it paces, the authenticator (or
    token keeper) and the retry policy. A platform declares its facts as class attributes and builds its
    authenticator in :meth:`authenticator_for`; :meth:`from_config` is the same for every tap."""

    bucket: TokenBucket
    session: requests.Session
    authenticator: AuthT
    retry_policy: RetryPolicy

    #: The platform's name in messages and the token store.
    platform: t.ClassVar[str]
    #: Requests per second when the config sets no ``max_requests_per_second``.
    default_rate: t.ClassVar[float]
    #: Config keys whose values never reach a log line or an error (most platforms: an app secret and a token pair).
    secret_keys: t.ClassVar[tuple[str, ...]] = ("app_secret", "access_token", "refresh_token", "pii_salt")
    #: The filter those values are registered on (a tap's streams redact with it too).
    secret_filter: t.ClassVar[SecretFilter]
    #: Config keys a stored token is tied to (``token_store_path``), for platforms that refresh tokens.
    identity_keys: t.ClassVar[tuple[str, ...]] = ("app_key", "shop_id")
    #: Seconds per HTTP request when the config sets no ``request_timeout``.
    default_timeout: t.ClassVar[float] = 30.0

    @classmethod
    def from_config(cls, config: Mapping[str, t.Any], logger: logging.Logger) -> t.Self:
        guard_config_secrets(cls.secret_filter, config, cls.secret_keys, (*THIRD_PARTY_LOGGERS, logger.name))
        bucket, session = cls.paced(config)
        authenticator = cls.authenticator_for(config, session, logger)
        return cls(bucket=bucket, session=session, authenticator=authenticator, retry_policy=RetryPolicy.from_config(config))

    @classmethod
    def paced(cls, config: Mapping[str, t.Any]) -> tuple[TokenBucket, requests.Session]:
        """The request budget and the session it paces (a platform with its own pacing replaces this)."""
        return paced_session(config, default_rate=cls.default_rate)

    @classmethod
    @abc.abstractmethod
    def authenticator_for(cls, config: Mapping[str, t.Any], session: requests.Session, logger: logging.Logger) -> AuthT:
        """The platform's authenticator, sending through ``session`` (the paced one)."""

    @classmethod
    def timeout(cls, config: Mapping[str, t.Any]) -> float:
        return float(config.get("request_timeout", cls.default_timeout))

    @classmethod
    def token_calls(cls, config: Mapping[str, t.Any], session: requests.Session, logger: logging.Logger) -> TokenCalls:
        """A refreshing authenticator's tokens (the config's, or ``token_store_path``'s when it holds newer ones),
        its session and its timeout."""
        tokens = TokenKeeper.from_config(
            config, platform=cls.platform, identity_keys=cls.identity_keys, secret_filter=cls.secret_filter, logger=logger
        )
        return TokenCalls(tokens, session, cls.timeout(config), logger)
