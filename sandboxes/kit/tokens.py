"""`TokenIssuer`: the access and refresh tokens a platform sandbox hands out per shop.

Every channel sandbox issues tokens the same way — one current pair per shop, an access token valid for a TTL,
refresh tokens that may be single-use (rotation), "expire everything now" for retry tests, and shops that withdraw
their authorisation. What differs per platform is only what a token looks like (``mint``) and the error a
sandbox answers, so the sandbox keeps those and asks the issuer the questions.
The issuer is not locked: a sandbox calls it under its own state lock.
"""

from __future__ import annotations

import hashlib
import typing as t
from dataclasses import dataclass

__all__ = ["Grant", "Mint", "TokenIssuer", "hashed_pair"]

#: (shop id, serial number of the issue, from 1) -> (access token, refresh token)
Mint = t.Callable[[str, int], tuple[str, str]]


@dataclass
class Grant:
    """One issued access token: whose it is and until when (``expires_at`` None: it never expires)."""

    shop_id: str
    expires_at: float | None
    #: Set by :meth:`TokenIssuer.expire_all` (a sandbox fault): the token stays known but no longer works.
    expired: bool = False

    def live_at(self, now: float) -> bool:
        return not self.expired and (self.expires_at is None or now < self.expires_at)


def hashed_pair(*parts: object, length: int = 32, prefixes: tuple[str, str] = ("", "")) -> Mint:
    """A mint of hex tokens: SHA-256 of ``access:``/``refresh:`` and ``parts:shop:serial``, cut to ``length``."""

    def mint(shop_id: str, serial: int) -> tuple[str, str]:
        material = ":".join(str(part) for part in (*parts, shop_id, serial)).encode()
        access = hashlib.sha256(b"access:" + material).hexdigest()[:length]
        refresh = hashlib.sha256(b"refresh:" + material).hexdigest()[:length]
        return prefixes[0] + access, prefixes[1] + refresh

    return mint


class TokenIssuer:
    """Issues and checks tokens for the shops of one app (see module docstring).

    ``ttl_seconds`` is how long an access token lives (None: forever); ``refresh_ttl_seconds`` how long a refresh
    token does (None: until it is used up). With ``rotate_refresh`` a refresh token is single-use: issuing a shop a
    new pair retires the old refresh token.
    """

    def __init__(
        self,
        mint: Mint,
        *,
        clock: t.Callable[[], float],
        ttl_seconds: float | None,
        refresh_ttl_seconds: float | None = None,
        rotate_refresh: bool = True,
    ) -> None:
        self._mint = mint
        self._clock = clock
        self.ttl_seconds = ttl_seconds
        self.refresh_ttl_seconds = refresh_ttl_seconds
        self.rotate_refresh = rotate_refresh
        self.issued = 0
        self._grants: dict[str, Grant] = {}
        self._refresh: dict[str, tuple[str, float | None]] = {}  # refresh token -> (shop id, expiry)
        self._current: dict[str, tuple[str, str]] = {}  # shop id -> (access, refresh)
        self._revoked: set[str] = set()

    def issue(self, shop_id: str, *, expires_at: float | None = None) -> tuple[str, str]:
        """A new (access, refresh) pair for the shop; ``expires_at`` overrides the TTL (an authorisation's end)."""
        self.issued += 1
        access, refresh = self._mint(shop_id, self.issued)
        now = self._clock()
        if expires_at is None and self.ttl_seconds is not None:
            expires_at = now + self.ttl_seconds
        self._grants[access] = Grant(shop_id, expires_at)
        old = self._current.get(shop_id)
        if old and self.rotate_refresh:
            self._refresh.pop(old[1], None)
        if refresh:  # a platform without refresh tokens mints ""
            refresh_expiry = None if self.refresh_ttl_seconds is None else now + self.refresh_ttl_seconds
            self._refresh[refresh] = (shop_id, refresh_expiry)
        self._current[shop_id] = (access, refresh)
        return access, refresh

    def issue_access(self, shop_id: str, *, ttl_seconds: float | None) -> str:
        """An extra access token beside the shop's current pair (several live tokens per shop, no refresh)."""
        self.issued += 1
        access, _ = self._mint(shop_id, self.issued)
        self._grants[access] = Grant(shop_id, None if ttl_seconds is None else self._clock() + ttl_seconds)
        return access

    def access_token(self, shop_id: str) -> str:
        return self._current[str(shop_id)][0]

    def refresh_token(self, shop_id: str) -> str:
        return self._current[str(shop_id)][1]

    def grant(self, access_token: str) -> Grant | None:
        """What the access token was issued as (None: never issued here); expired or not, revoked or not."""
        return self._grants.get(access_token)

    def live(self, access_token: str) -> bool:
        grant = self._grants.get(access_token)
        return grant is not None and grant.live_at(self._clock())

    def holder(self, refresh_token: str) -> str | None:
        """The shop a refresh token may still be redeemed for (None: unknown, used up or expired)."""
        known = self._refresh.get(refresh_token)
        if known is None:
            return None
        shop_id, expiry = known
        return shop_id if expiry is None or self._clock() < expiry else None

    def refresh_expires_at(self, refresh_token: str) -> float | None:
        return self._refresh[refresh_token][1]

    def expire_all(self) -> None:
        """Every access token issued so far stops working (refresh to continue)."""
        for grant in self._grants.values():
            grant.expired = True

    def end_at(self, shop_id: str, when: float) -> None:
        """Every access token of the shop expires at ``when`` (its authorisation runs out)."""
        for grant in self._grants.values():
            if grant.shop_id == shop_id:
                grant.expires_at = when

    def revoke(self, shop_id: str) -> None:
        """The shop withdrew its authorisation of the app."""
        self._revoked.add(str(shop_id))

    def revoked(self, shop_id: str) -> bool:
        return shop_id in self._revoked
