"""The sandboxes' token issuer: TTL, rotation, expiry, refresh-token lifetime, revocation, the token formats."""

from __future__ import annotations

from orderlayer.sandboxes.kit.tokens import TokenIssuer, hashed_pair


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def serial_mint(shop_id: str, serial: int) -> tuple[str, str]:
    return f"at-{shop_id}-{serial}", f"rt-{shop_id}-{serial}"


def test_hashed_pair_is_sha256_of_the_material_cut_and_prefixed() -> None:
    # sha256(b"access:7:app:shop:1") and sha256(b"refresh:7:app:shop:1"), computed by the team with hashlib
    mint = hashed_pair(7, "app", length=12, prefixes=("at.", "rt."))
    assert mint("shop", 1) == ("at.ed32f57312fc", "rt.ecf2835ca054")


def test_an_access_token_lives_its_ttl() -> None:
    clock = Clock()
    issuer = TokenIssuer(serial_mint, clock=clock, ttl_seconds=60)
    access, refresh = issuer.issue("s1")
    assert (issuer.access_token("s1"), issuer.refresh_token("s1")) == (access, refresh) == ("at-s1-1", "rt-s1-1")
    assert issuer.live(access)
    clock.now += 60
    assert not issuer.live(access)
    assert issuer.grant(access).shop_id == "s1"  # still known: "expired", not "does not exist"
    assert issuer.grant("at-unknown") is None


def test_rotation_retires_the_used_refresh_token() -> None:
    issuer = TokenIssuer(serial_mint, clock=Clock(), ttl_seconds=60)
    _, first = issuer.issue("s1")
    assert issuer.holder(first) == "s1"
    _, second = issuer.issue("s1")
    assert issuer.holder(first) is None
    assert issuer.holder(second) == "s1"
    assert issuer.issued == 2


def test_without_rotation_every_refresh_token_stays_valid() -> None:
    issuer = TokenIssuer(serial_mint, clock=Clock(), ttl_seconds=60, rotate_refresh=False)
    _, first = issuer.issue("s1")
    issuer.issue("s1")
    assert issuer.holder(first) == "s1"


def test_refresh_tokens_expire_after_their_own_ttl() -> None:
    clock = Clock()
    issuer = TokenIssuer(serial_mint, clock=clock, ttl_seconds=60, refresh_ttl_seconds=600)
    _, refresh = issuer.issue("s1")
    assert issuer.refresh_expires_at(refresh) == 1_600.0
    clock.now += 600
    assert issuer.holder(refresh) is None


def test_expire_all_end_at_and_revoke() -> None:
    clock = Clock()
    issuer = TokenIssuer(serial_mint, clock=clock, ttl_seconds=None)
    a1, _ = issuer.issue("s1")
    a2, _ = issuer.issue("s2")
    assert issuer.grant(a1).expires_at is None and issuer.live(a1)
    issuer.expire_all()
    assert not issuer.live(a1) and not issuer.live(a2)
    fresh, _ = issuer.issue("s1", expires_at=clock.now + 10)
    assert issuer.live(fresh)
    issuer.end_at("s1", clock.now)
    assert not issuer.live(fresh)
    assert not issuer.revoked("s2")
    issuer.revoke("s2")
    assert issuer.revoked("s2")
