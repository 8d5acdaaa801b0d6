"""HTTP transport pieces shared by the taps."""

from __future__ import annotations

import typing as t

import requests
from requests.adapters import HTTPAdapter

from orderlayer.taps.common.ratelimit import TokenBucket

if t.TYPE_CHECKING:
    from collections.abc import Mapping


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
