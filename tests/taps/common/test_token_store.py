"""The token store (taps/common/tokens.py): refreshed tokens survive the process, safely.

Unit cases for the file (mode, atomic replace, corrupt file, fingerprint) and the keeper (config wins,
expiry-driven refresh, redaction), then the scenario the store exists for, against the sandboxes of all five
refreshing taps: run 1 refreshes an expired token and the sandbox rotates the refresh token; run 2 — a new tap
instance with the very same config — works only because of the store.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import stat
import threading
import typing as t
from dataclasses import dataclass
from pathlib import Path

from tests.taps.douyin import kit as douyin_tapkit
from tests.taps.jd import kit as jd_tapkit
from tests.taps.pinduoduo import kit as pinduoduo_tapkit
import pytest
from tests.taps.taobao import kit as taobao_tapkit
from tests.taps.tiktok_shop import kit as tiktok_shop_tapkit
from tests.taps.jd.kit import jd_sandbox  # noqa: F401 - fixture
from tests.taps.pinduoduo.kit import pdd_sandbox  # noqa: F401 - fixture
from tests.support.singer_run import TapFailed
from tests.taps.taobao.kit import taobao_sandbox  # noqa: F401 - fixture
from tests.taps.tiktok_shop.kit import tts_sandbox  # noqa: F401 - fixture

from orderlayer.taps.common.errors import SourceRetriableError
from orderlayer.taps.common.redact import SecretFilter
from orderlayer.taps.common.tokens import (
    StoredTokens,
    TokenKeeper,
    TokenStore,
    TokenStoreError,
    credentials_fingerprint,
    expiry_from,
)
from orderlayer.taps.douyin import protocol as dp

LOGGER = logging.getLogger("test-token-store")
T0 = 1_700_000_000.0  # 2023-11-14T22:13:20Z


def entry(fingerprint: str, *, access: str = "at.stored-0001", refresh: str | None = "rt.stored-0001", expires: float | None = None) -> StoredTokens:
    return StoredTokens(access_token=access, refresh_token=refresh, obtained_at=T0, config_fingerprint=fingerprint, access_expires_at=expires)


def keeper(path: Path | None, *, access: str = "at.config-0001", refresh: str | None = "rt.config-0001", clock: float = T0, secrets: SecretFilter | None = None) -> TokenKeeper:
    return TokenKeeper(
        platform="Douyin",
        access_token=access,
        refresh_token=refresh,
        identity=("app", "shop"),
        secret_filter=secrets or SecretFilter(),
        logger=LOGGER,
        store=TokenStore(path, platform="Douyin") if path else None,
        clock=lambda: clock,
    )


CONFIG_FP = credentials_fingerprint(access_token="at.config-0001", refresh_token="rt.config-0001", identity=("app", "shop"))


# --------------------------------------------------------------------------- the file
def test_fingerprint_is_sha256_of_the_configured_credentials() -> None:
    expected = hashlib.sha256(b'["at.config-0001","rt.config-0001","app","shop"]').hexdigest()
    assert CONFIG_FP == "sha256:" + expected
    assert credentials_fingerprint(access_token="at.config-0001", refresh_token=None, identity=("app", "shop")) != CONFIG_FP


def test_saved_file_is_0600_in_a_0700_git_ignored_directory(tmp_path: Path) -> None:
    path = tmp_path / "state" / "tokens" / "douyin_main.json"
    TokenStore(path, platform="Douyin").save(entry(CONFIG_FP, expires=T0 + 3600))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert (path.parent / ".gitignore").read_text(encoding="utf-8").splitlines()[-1] == "*"
    payload = json.loads(path.read_text(encoding="utf-8"))
    assert payload == {
        "version": 1,
        "platform": "Douyin",
        "config_fingerprint": CONFIG_FP,
        "obtained_at": "2023-11-14T22:13:20+00:00",
        "access_token": "at.stored-0001",
        "access_token_expires_at": "2023-11-14T23:13:20+00:00",
        "refresh_token": "rt.stored-0001",
        "refresh_token_expires_at": None,
    }
    assert TokenStore(path, platform="Douyin").load() == entry(CONFIG_FP, expires=T0 + 3600)
    assert sorted(p.name for p in path.parent.iterdir()) == [".gitignore", "douyin_main.json"]  # no temp file left


def test_write_is_fsynced_then_renamed_and_a_failed_rename_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "tokens" / "c.json"
    store = TokenStore(path, platform="Douyin")
    store.save(entry(CONFIG_FP, access="at.first"))
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (events.append("fsync"), real_fsync(fd))[1])

    def replace(src: str, dst: t.Any) -> None:  # noqa: ANN401
        events.append("replace")
        assert json.loads(Path(src).read_text(encoding="utf-8"))["access_token"] == "at.second"  # complete before the rename
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    store.save(entry(CONFIG_FP, access="at.second"))
    assert events == ["fsync", "replace", "fsync"]  # file data, rename, directory
    assert store.load().access_token == "at.second"  # type: ignore[union-attr]

    def crash(src: str, dst: t.Any) -> None:  # noqa: ANN401
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="No space left"):
        store.save(entry(CONFIG_FP, access="at.third"))
    assert store.load().access_token == "at.second"  # type: ignore[union-attr]
    assert sorted(p.name for p in path.parent.iterdir()) == [".gitignore", "c.json"]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b'{"version": 1, "access_token": "at.x", "refresh', "Unterminated string"),
        (b"[]", "does not hold a JSON object"),
        (b'{"version": 7}', "unknown format version 7"),
        (b'{"version": 1, "config_fingerprint": "sha256:0", "obtained_at": "2024-01-01T00:00:00+00:00"}', "'access_token' is missing"),
        (b"\xff\xfe", "can't decode"),
    ],
)
def test_corrupt_file_fails_naming_the_file_and_the_fix_and_is_kept(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "tokens" / "douyin_main.json"
    path.parent.mkdir()
    path.write_bytes(content)
    with pytest.raises(TokenStoreError) as info:
        keeper(path)
    message = str(info.value)
    assert f"token store {path} is corrupt" in message and reason in message
    assert "re-authorise the shop" in message and "Do not delete it" in message
    assert path.read_bytes() == content  # never discarded


def test_unreadable_file_fails_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "tokens" / "c.json"
    path.mkdir(parents=True)  # a directory where the file should be: read fails with an OSError
    with pytest.raises(TokenStoreError, match=rf"token store {path} cannot be read \(Is a directory\)"):
        keeper(path)


# --------------------------------------------------------------------------- the keeper
def test_no_store_keeps_the_config_tokens_and_warns_after_a_refresh(caplog: pytest.LogCaptureFixture) -> None:
    kept = keeper(None)
    assert (kept.access_token, kept.refresh_token, kept.source, kept.refresh_due) == ("at.config-0001", "rt.config-0001", "config", False)
    with caplog.at_level(logging.WARNING, logger=LOGGER.name):
        kept.refreshed(access_token="at.new", refresh_token="rt.new", access_expires_at=T0 + 60)
    assert (kept.access_token, kept.refresh_token) == ("at.new", "rt.new")
    assert "live only in this process: set config key 'token_store_path'" in caplog.text


def test_stored_tokens_win_while_the_fingerprint_matches_and_are_redacted(tmp_path: Path) -> None:
    path = tmp_path / "tokens" / "c.json"
    TokenStore(path, platform="Douyin").save(entry(CONFIG_FP, expires=T0 + 3600))
    secrets = SecretFilter()
    kept = keeper(path, secrets=secrets)
    assert (kept.access_token, kept.refresh_token, kept.source) == ("at.stored-0001", "rt.stored-0001", "store")
    assert kept.refresh_due is False  # an hour left
    assert secrets.redact("a=at.stored-0001 b=rt.stored-0001") == "a=*** b=***"


def test_new_credentials_in_the_config_win_and_replace_the_entry_at_the_next_refresh(tmp_path: Path) -> None:
    path = tmp_path / "tokens" / "c.json"
    old_fp = credentials_fingerprint(access_token="at.before-reauth", refresh_token="rt.before-reauth", identity=("app", "shop"))
    TokenStore(path, platform="Douyin").save(entry(old_fp))
    kept = keeper(path)
    assert (kept.access_token, kept.refresh_token, kept.source) == ("at.config-0001", "rt.config-0001", "config")
    assert TokenStore(path, platform="Douyin").load().config_fingerprint == old_fp  # type: ignore[union-attr] # untouched until a refresh
    kept.refreshed(access_token="at.after", refresh_token="rt.after", access_expires_at=T0 + 7 * 86_400)
    stored = TokenStore(path, platform="Douyin").load()
    assert stored == StoredTokens("at.after", "rt.after", T0, CONFIG_FP, T0 + 7 * 86_400, None)
    # the next run (same config) continues the new chain
    assert keeper(path).access_token == "at.after"


def test_a_refresh_without_a_new_refresh_token_keeps_the_current_one(tmp_path: Path) -> None:
    path = tmp_path / "tokens" / "c.json"
    kept = keeper(path)
    kept.refreshed(access_token="at.after", refresh_token=None)
    assert TokenStore(path, platform="Douyin").load().refresh_token == "rt.config-0001"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("expires", "due"),
    [(T0 - 1, True), (T0 + 59, True), (T0 + 61, False), (None, False)],  # 60 s margin; unknown expiry: never
)
def test_a_stored_access_token_past_its_expiry_is_refreshed_first(tmp_path: Path, expires: float | None, due: bool) -> None:
    path = tmp_path / "tokens" / "c.json"
    TokenStore(path, platform="Douyin").save(entry(CONFIG_FP, expires=expires))
    kept = keeper(path)
    assert kept.refresh_due is due
    calls: list[str] = []
    lock = threading.Lock()

    def refresh() -> None:
        calls.append("refresh")
        kept.refreshed(access_token="at.fresh", refresh_token="rt.fresh", access_expires_at=T0 + 86_400)

    kept.refresh_if_due(lock, refresh)
    kept.refresh_if_due(lock, refresh)
    assert calls == (["refresh"] if due else [])
    assert kept.refresh_due is False


def test_a_transient_failure_of_the_early_refresh_is_left_to_the_normal_path(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "tokens" / "c.json"
    TokenStore(path, platform="Douyin").save(entry(CONFIG_FP, expires=T0 - 10))
    kept = keeper(path)

    def refresh() -> None:
        raise SourceRetriableError("token.refresh: HTTP 503 while refreshing the access token")

    with caplog.at_level(logging.WARNING, logger=LOGGER.name):
        kept.refresh_if_due(threading.Lock(), refresh)
    assert "HTTP 503" in caplog.text and "trying the call anyway" in caplog.text
    assert kept.access_token == "at.stored-0001"


def test_expiry_from_reads_durations_and_epochs() -> None:
    assert expiry_from(T0, expires_in=604_800) == T0 + 604_800
    assert expiry_from(T0, expires_in="7200") == T0 + 7200
    assert expiry_from(T0, expires_at=1_733_000_000) == 1_733_000_000
    assert expiry_from(T0, expires_at=1_733_000_000_123) == 1_733_000_000.123  # epoch ms
    assert expiry_from(T0, expires_in=60, expires_at=1_733_000_000) == 1_733_000_000  # absolute wins
    assert expiry_from(T0, expires_in=None) is None
    assert expiry_from(T0, expires_in="?") is None


def test_store_directory_that_cannot_be_created_fails_before_any_refresh(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(TokenStoreError, match=r"token store directory .* cannot be created .*'token_store_path'"):
        keeper(blocker / "tokens" / "c.json")


# --------------------------------------------------------------------------- the five taps against their sandboxes
@dataclass(frozen=True)
class Kit:
    name: str
    fixture: str
    shop: str
    run_tap: t.Callable[..., t.Any]
    tap_config: t.Callable[..., dict]
    #: What the tap's error says when the platform rejects a used refresh token.
    rejected: str


KITS = {
    "douyin": Kit("douyin", "make_sandbox", douyin_tapkit.SHOP, douyin_tapkit.run_tap, douyin_tapkit.tap_config, "refresh_token is expired (valid 14 days), already used"),
    "jd": Kit("jd", "jd_sandbox", jd_tapkit.SHOP, jd_tapkit.run_tap, jd_tapkit.tap_config, "code 402"),
    "taobao": Kit("taobao", "taobao_sandbox", taobao_tapkit.SHOP, taobao_tapkit.run_tap, taobao_tapkit.tap_config, "refresh_token is invalid or already used"),
    "tiktok_shop": Kit("tiktok_shop", "tts_sandbox", tiktok_shop_tapkit.US_SHOP, tiktok_shop_tapkit.run_tap, tiktok_shop_tapkit.tap_config, "refresh_token` is invalid or expired"),
    "pinduoduo": Kit("pinduoduo", "pdd_sandbox", pinduoduo_tapkit.SHOP, pinduoduo_tapkit.run_tap, pinduoduo_tapkit.tap_config, "The refresh_token was rejected"),
}


def _secrets(config: dict, sandbox: t.Any, shop: str) -> list[str]:  # noqa: ANN401
    return [config["access_token"], config["refresh_token"], sandbox.access_token(shop), sandbox.refresh_token(shop)]


@pytest.mark.parametrize("kit", KITS.values(), ids=list(KITS))
def test_second_run_with_the_same_config_works_only_because_of_the_store(
    kit: Kit, request: pytest.FixtureRequest, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    sandbox = request.getfixturevalue(kit.fixture)()
    store_path = tmp_path / "tokens" / f"{kit.name}.json"
    config = kit.tap_config(sandbox, kit.shop, token_store_path=str(store_path))  # what the user's config holds
    sandbox.expire_tokens()
    with caplog.at_level(logging.DEBUG):
        first = kit.run_tap(config)
        assert first.records
        # run 1 refreshed: the sandbox issued a new pair and rejects the configured refresh token from now on
        stored = json.loads(store_path.read_text(encoding="utf-8"))
        assert (stored["access_token"], stored["refresh_token"]) == (sandbox.access_token(kit.shop), sandbox.refresh_token(kit.shop))
        assert stored["refresh_token"] != config["refresh_token"]
        assert stored["access_token_expires_at"] is not None
        assert stat.S_IMODE(store_path.stat().st_mode) == 0o600

        second = kit.run_tap(config)  # a new process would build exactly this tap: same config, no memory
    assert len(second.records) == len(first.records)
    # and the secrets never left the store: not on stdout (records, STATE) nor in any log line
    for secret in _secrets(config, sandbox, kit.shop):
        assert secret not in first.text and secret not in second.text
        assert secret not in caplog.text
        assert secret not in json.dumps(second.final_state)

    # Control: the same two runs without a store — the second fails on the rotated refresh token.
    sandbox_without = request.getfixturevalue(kit.fixture)()
    plain = kit.tap_config(sandbox_without, kit.shop)
    sandbox_without.expire_tokens()
    kit.run_tap(plain)
    sandbox_without.expire_tokens()  # run 1's access token expires too before run 2 (run 2 must refresh)
    with pytest.raises(TapFailed) as info:
        kit.run_tap(plain)
    assert kit.rejected in str(info.value.cause)


@pytest.mark.parametrize("kit", [KITS["douyin"], KITS["tiktok_shop"]], ids=["douyin", "tiktok_shop"])
def test_without_rotation_the_configured_refresh_token_keeps_working(kit: Kit, request: pytest.FixtureRequest) -> None:
    """``rotate_refresh_tokens=False``: the platform behaviour the fact sheets describe (a refresh token lives
    its lifetime), where even a store-less tap survives two refreshes with the same config."""
    sandbox = request.getfixturevalue(kit.fixture)(rotate_refresh_tokens=False)
    plain = kit.tap_config(sandbox, kit.shop)
    for _ in range(2):
        sandbox.expire_tokens()
        assert kit.run_tap(plain).records


def test_douyin_refreshes_an_expired_stored_token_before_the_first_call(make_sandbox: t.Any, tmp_path: Path) -> None:  # noqa: ANN401
    sandbox = make_sandbox(120)
    config = douyin_tapkit.tap_config(sandbox, token_store_path=str(tmp_path / "tokens" / "d.json"))
    fingerprint = credentials_fingerprint(
        access_token=config["access_token"], refresh_token=config["refresh_token"], identity=(config["app_key"], config["shop_id"])
    )
    # A previous run stored the current pair and the platform said the access token expires at T0 (long past).
    TokenStore(tmp_path / "tokens" / "d.json", platform="Douyin").save(
        StoredTokens(sandbox.access_token(douyin_tapkit.SHOP), sandbox.refresh_token(douyin_tapkit.SHOP), T0 - 3600, fingerprint, T0)
    )
    sandbox.expire_tokens()
    result = douyin_tapkit.run_tap(config)
    assert result.records
    log = sandbox.requests
    assert [(e["method"], e["code"]) for e in log[:2]] == [("token.refresh", dp.CODE_OK), ("order.searchList", dp.CODE_OK)]
    assert not any(e.get("sub_code") == dp.SUB_TOKEN_EXPIRED for e in log)  # no call was wasted on the expired token


def test_the_five_refreshing_taps_declare_the_optional_store_key() -> None:
    from orderlayer.taps.douyin.tap import TapDouyin
    from orderlayer.taps.jd.tap import TapJd
    from orderlayer.taps.pinduoduo.tap import TapPinduoduo
    from orderlayer.taps.taobao.tap import TapTaobao
    from orderlayer.taps.tiktok_shop.tap import TapTikTokShop

    for tap in (TapDouyin, TapJd, TapTaobao, TapTikTokShop, TapPinduoduo):
        prop = tap.config_jsonschema["properties"]["token_store_path"]
        assert "string" in prop["type"] and "token_store_path" not in tap.config_jsonschema.get("required", [])
        assert "0600" in prop["description"]


def test_stored_file_from_a_run_is_not_world_readable_even_with_a_loose_umask(make_sandbox: t.Any, tmp_path: Path) -> None:  # noqa: ANN401
    sandbox = make_sandbox(60)
    path = tmp_path / "tokens" / "d.json"
    config = douyin_tapkit.tap_config(sandbox, token_store_path=str(path))
    sandbox.expire_tokens()
    old = os.umask(0o000)
    try:
        douyin_tapkit.run_tap(config)
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert dt.datetime.fromisoformat(json.loads(path.read_text(encoding="utf-8"))["obtained_at"]).tzinfo is not None


# --------------------------------------------------------------------------- `orderlayer sync`
ORDERLAYER = str(Path(__import__("sys").executable).with_name("orderlayer"))


def test_orderlayer_sync_keeps_rotated_tokens_beside_the_database_and_never_prints_them(make_sandbox: t.Any, tmp_path: Path) -> None:  # noqa: ANN401
    import subprocess

    import duckdb

    sandbox = make_sandbox(80, days=3)
    creds = douyin_tapkit.tap_config(sandbox)
    start = dt.datetime.fromtimestamp(sandbox.generator.start_ts, dt.timezone.utc).isoformat()
    (tmp_path / "orderlayer.yml").write_text(
        "database: wh/ol.duckdb\nconnections:\n  douyin_main:\n    source: douyin\n"
        f'    shop_id: "{douyin_tapkit.SHOP}"\n    base_url: {sandbox.base_url}\n    start_date: "{start}"\n'
        "    credentials: {app_key: DY_KEY, app_secret: DY_SECRET, access_token: DY_TOKEN, refresh_token: DY_REFRESH}\n"
        "    options: {window_seconds: 2592000, max_requests_per_second: 1000, retry_base_seconds: 0.001}\n",
        encoding="utf-8",
    )
    env = {
        **os.environ,
        "ORDERLAYER_PII_SALT": "token-store-test-salt",
        "DY_KEY": creds["app_key"],
        "DY_SECRET": creds["app_secret"],
        "DY_TOKEN": creds["access_token"],
        "DY_REFRESH": creds["refresh_token"],
    }

    def sync() -> subprocess.CompletedProcess:
        return subprocess.run([ORDERLAYER, "sync"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)

    sandbox.expire_tokens()
    first = sync()
    assert first.returncode == 0, first.stdout + first.stderr
    store = tmp_path / "wh" / "tokens" / "douyin_main.json"
    assert stat.S_IMODE(store.stat().st_mode) == 0o600 and stat.S_IMODE(store.parent.stat().st_mode) == 0o700
    assert json.loads(store.read_text(encoding="utf-8"))["refresh_token"] == sandbox.refresh_token(douyin_tapkit.SHOP)
    assert sum(e["method"] == "token.refresh" for e in sandbox.requests) == 1

    second = sync()  # same environment: the configured refresh token is spent, the access token expired
    assert second.returncode == 0, second.stdout + second.stderr
    assert sum(e["method"] == "token.refresh" for e in sandbox.requests) == 1  # the stored token just worked

    secrets = [*_secrets(creds, sandbox, douyin_tapkit.SHOP), creds["app_secret"]]
    logs = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "wh" / "logs").iterdir())
    con = duckdb.connect(str(tmp_path / "wh" / "ol.duckdb"), read_only=True)
    try:
        ops = repr([con.execute(f"select * from ops.{name}").fetchall() for (name,) in con.execute(
            "select table_name from information_schema.tables where table_schema = 'ops'").fetchall()])
    finally:
        con.close()
    assert "douyin_main" in ops  # the ops tables (sync runs, Singer state) were read
    for secret in secrets:
        for where, text in (("stdout", first.stdout + second.stdout), ("stderr", first.stderr + second.stderr), ("sync logs", logs), ("ops", ops)):
            assert secret not in text, f"a token reached {where}"
    assert "Refreshed the Douyin access token" in logs and str(store) in logs
