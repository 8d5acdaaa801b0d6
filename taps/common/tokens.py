"""Keep refreshed platform tokens across runs: a small file-backed store, one JSON file per connection.

Douyin, JD, Taobao, TikTok Shop and Pinduoduo refresh an expired access token with the configured
``refresh_token``. A platform may rotate the refresh token (the old one is rejected once used) and a refresh
token has a limited life (Douyin: 14 days), so a tap that forgets the new pair when the process ends stops
working at the next run or, at the latest, when the configured refresh token expires. Singer STATE is no place
for secrets (it is logged, stored and shown), so the pair lives here instead:

* one JSON file per connection, mode 0600, in a directory created 0700 that ignores itself in git;
* written atomically (temp file in the same directory, fsync, rename, fsync of the directory) the moment a
  refresh succeeds, so a crash right after a refresh cannot lose a rotated refresh token;
* holding the tokens, their expiry times when the platform returned them, when they were obtained and a
  sha256 fingerprint of the configured credentials the chain started from. The stored pair is used only while
  that fingerprint matches the config: new credentials in the config (the shop was re-authorised) win, and the
  entry is replaced at the next refresh;
* a file that cannot be read is an error naming the file and the fix, never silently discarded (it may hold
  the only refresh token the platform still accepts).

:class:`TokenKeeper` is the one object an authenticator talks to: it gives the starting tokens, says whether
the access token is known to be expired (refresh before the first call), and takes every refreshed pair.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import stat
import tempfile
import time
import typing as t
from dataclasses import dataclass
from pathlib import Path

from orderlayer.taps.common.errors import SourceAPIError, SourceRetriableError

if t.TYPE_CHECKING:
    import threading
    from collections.abc import Callable, Mapping

    from orderlayer.taps.common.redact import SecretFilter

__all__ = [
    "FORMAT_VERSION",
    "STORE_CONFIG_KEY",
    "StoredTokens",
    "TokenKeeper",
    "TokenStore",
    "TokenStoreError",
    "credentials_fingerprint",
    "expiry_from",
]

#: The tap config key naming the store file.
STORE_CONFIG_KEY = "token_store_path"
FORMAT_VERSION = 1
#: An access token this close to its known expiry is refreshed before use rather than risk a failed call.
EXPIRY_MARGIN_SECONDS = 60.0


class TokenStoreError(SourceAPIError):
    """The store file cannot be read or written; the message names the file and the fix."""


def credentials_fingerprint(*, access_token: str | None, refresh_token: str | None, identity: tuple[str, ...] = ()) -> str:
    """sha256 of the configured credentials a token chain starts from (and the app/shop they belong to)."""
    material = json.dumps([access_token or "", refresh_token or "", *identity], ensure_ascii=False, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(material.encode("utf-8")).hexdigest()


def expiry_from(now: float, *, expires_in: t.Any = None, expires_at: t.Any = None) -> float | None:  # noqa: ANN401
    """Epoch seconds of an expiry from a platform answer: an absolute ``expires_at`` (epoch s or ms) wins over a
    relative ``expires_in`` (seconds). Missing or unreadable values give None (expiry unknown)."""
    for value, relative in ((expires_at, False), (expires_in, True)):
        try:
            number = float(value)
        except (TypeError, ValueError):
            continue
        if number <= 0:
            continue
        if relative:
            return now + number
        return number / 1000 if number > 10**11 else number  # epoch milliseconds from some gateways
    return None


def _iso(epoch: float | None) -> str | None:
    return None if epoch is None else dt.datetime.fromtimestamp(epoch, dt.timezone.utc).isoformat()


def _epoch(value: t.Any, key: str) -> float | None:  # noqa: ANN401
    if value is None:
        return None
    if not isinstance(value, str):
        msg = f"{key!r} is not an ISO-8601 text"
        raise ValueError(msg)
    moment = dt.datetime.fromisoformat(value)
    if moment.tzinfo is None:
        msg = f"{key!r} has no UTC offset"
        raise ValueError(msg)
    return moment.timestamp()


@dataclass(frozen=True)
class StoredTokens:
    """One connection's current token pair and what is known about it."""

    access_token: str
    refresh_token: str | None
    obtained_at: float
    config_fingerprint: str
    access_expires_at: float | None = None
    refresh_expires_at: float | None = None

    def to_json(self, platform: str) -> dict[str, t.Any]:
        return {
            "version": FORMAT_VERSION,
            "platform": platform,
            "config_fingerprint": self.config_fingerprint,
            "obtained_at": _iso(self.obtained_at),
            "access_token": self.access_token,
            "access_token_expires_at": _iso(self.access_expires_at),
            "refresh_token": self.refresh_token,
            "refresh_token_expires_at": _iso(self.refresh_expires_at),
        }

    @classmethod
    def from_json(cls, payload: t.Any) -> StoredTokens:  # noqa: ANN401
        """Parse a stored entry; ValueError says what is wrong (never quoting a token)."""
        if not isinstance(payload, dict):
            msg = "the file does not hold a JSON object"
            raise ValueError(msg)
        if payload.get("version") != FORMAT_VERSION:
            msg = f"unknown format version {payload.get('version')!r} (this orderlayer reads version {FORMAT_VERSION})"
            raise ValueError(msg)
        for key in ("access_token", "config_fingerprint", "obtained_at"):
            if not isinstance(payload.get(key), str) or not payload[key]:
                msg = f"{key!r} is missing or not a text"
                raise ValueError(msg)
        refresh = payload.get("refresh_token")
        if refresh is not None and not isinstance(refresh, str):
            msg = "'refresh_token' is not a text"
            raise ValueError(msg)
        obtained = _epoch(payload["obtained_at"], "obtained_at")
        return cls(
            access_token=payload["access_token"],
            refresh_token=refresh or None,
            obtained_at=t.cast("float", obtained),
            config_fingerprint=payload["config_fingerprint"],
            access_expires_at=_epoch(payload.get("access_token_expires_at"), "access_token_expires_at"),
            refresh_expires_at=_epoch(payload.get("refresh_token_expires_at"), "refresh_token_expires_at"),
        )


class TokenStore:
    """The JSON file of one connection (see module docstring for the guarantees)."""

    def __init__(self, path: str | os.PathLike[str], *, platform: str) -> None:
        self.path = Path(path).expanduser()
        self.platform = platform

    def _fix(self) -> str:
        return (
            f"Repair the file, or move it away and re-authorise the shop: put the new access_token and refresh_token "
            f"in the config (the store then starts again from them). Do not delete it while it may hold the only "
            f"refresh token the {self.platform} platform still accepts."
        )

    def load(self) -> StoredTokens | None:
        """The stored entry, or None when there is no file yet; :class:`TokenStoreError` when it is unreadable."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            msg = f"token store {self.path} cannot be read ({exc.strerror or type(exc).__name__}). {self._fix()}"
            raise TokenStoreError(msg) from None
        try:
            return StoredTokens.from_json(json.loads(raw.decode("utf-8")))
        except (UnicodeDecodeError, ValueError) as exc:
            # json's messages give a position, never the text: safe to show.
            msg = f"token store {self.path} is corrupt ({exc}). {self._fix()}"
            raise TokenStoreError(msg) from None

    def prepare(self) -> None:
        """Create the directory (0700, git-ignored) and check it is writable before any token is spent."""
        directory = self.path.parent
        try:
            if not directory.exists():
                directory.mkdir(mode=0o700, parents=True)
                directory.chmod(0o700)  # mkdir's mode is subject to the umask
                (directory / ".gitignore").write_text("# platform tokens: never commit\n*\n", encoding="utf-8")
        except OSError as exc:
            msg = f"token store directory {directory} cannot be created ({exc.strerror or type(exc).__name__}); fix config key {STORE_CONFIG_KEY!r} or the permissions"
            raise TokenStoreError(msg) from None
        if not os.access(directory, os.W_OK | os.X_OK):
            msg = f"token store directory {directory} is not writable; fix config key {STORE_CONFIG_KEY!r} or the permissions"
            raise TokenStoreError(msg)

    def loose_permissions(self) -> bool:
        """The file can be read by users other than its owner."""
        try:
            return bool(self.path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO))
        except OSError:
            return False

    def save(self, tokens: StoredTokens) -> None:
        """Replace the entry atomically: readers see the old file or the new one, never a part."""
        self.prepare()
        data = json.dumps(tokens.to_json(self.platform), ensure_ascii=False, indent=2).encode("utf-8") + b"\n"
        fd, temp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)  # created 0600
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temp, 0o600)  # noqa: PTH101 - explicit even though mkstemp already creates 0600
            os.replace(temp, self.path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        try:  # make the rename itself durable
            dir_fd = os.open(self.path.parent, os.O_RDONLY)
        except OSError:
            return  # platforms without directory fds
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


class TokenKeeper:
    """One tap run's tokens: the config's, or the store's while they continue the config's chain.

    Without a store (config key ``token_store_path`` unset) it only keeps the pair in memory and warns after a
    refresh, as the taps always did.
    """

    def __init__(
        self,
        *,
        platform: str,
        access_token: str,
        refresh_token: str | None,
        identity: tuple[str, ...],
        secret_filter: SecretFilter,
        logger: logging.Logger,
        store: TokenStore | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.platform = platform
        self.store = store
        self._secret_filter = secret_filter
        self.logger = logger
        self._clock = clock
        self.fingerprint = credentials_fingerprint(access_token=access_token, refresh_token=refresh_token, identity=identity)
        self.access_token = access_token
        self.refresh_token = refresh_token or None
        self.access_expires_at: float | None = None
        #: Where the starting tokens came from: "config" or "store".
        self.source = "config"
        self._due = False
        if store is not None:
            self._adopt_stored(store)

    @classmethod
    def from_config(
        cls,
        config: Mapping[str, t.Any],
        *,
        platform: str,
        identity_keys: tuple[str, ...],
        secret_filter: SecretFilter,
        logger: logging.Logger,
        clock: Callable[[], float] = time.time,
    ) -> TokenKeeper:
        """From a tap config: ``access_token``, ``refresh_token``, the identity keys (app key, shop id) and
        the optional ``token_store_path``."""
        path = config.get(STORE_CONFIG_KEY)
        return cls(
            platform=platform,
            access_token=str(config["access_token"]),
            refresh_token=config.get("refresh_token"),
            identity=tuple(str(config.get(key) or "") for key in identity_keys),
            secret_filter=secret_filter,
            logger=logger,
            store=TokenStore(path, platform=platform) if path else None,
            clock=clock,
        )

    def _adopt_stored(self, store: TokenStore) -> None:
        store.prepare()  # fail now, before a refresh spends the refresh token, if the file cannot be written
        stored = store.load()
        if stored is None:
            return
        if stored.config_fingerprint != self.fingerprint:
            self.logger.info(
                "The credentials in the config differ from those the stored %s tokens in %s were obtained from "
                "(the shop was re-authorised?): using the config's; the store entry is replaced at the next refresh.",
                self.platform,
                store.path,
            )
            return
        self._secret_filter.add(stored.access_token, stored.refresh_token)
        if store.loose_permissions():
            store.path.chmod(0o600)
            self.logger.warning("Token store %s was readable by other users; set its mode to 0600.", store.path)
        self.access_token = stored.access_token
        self.refresh_token = stored.refresh_token
        self.access_expires_at = stored.access_expires_at
        self.source = "store"
        self._due = stored.access_expires_at is not None and self._clock() >= stored.access_expires_at - EXPIRY_MARGIN_SECONDS
        self.logger.info(
            "Using the %s tokens refreshed at %s from %s%s.",
            self.platform,
            _iso(stored.obtained_at),
            store.path,
            " (the access token has expired: refreshing it first)" if self._due else "",
        )

    @property
    def refresh_due(self) -> bool:
        """The access token is known to be expired: refresh before the first call."""
        return self._due

    def refresh_if_due(self, lock: threading.Lock | threading.RLock, refresh: Callable[[], None]) -> None:
        """Run ``refresh`` (the authenticator's own, which ends in :meth:`refreshed`) once if the access token is
        known to be expired. A transient failure is left to the normal path: the call is sent, the platform
        rejects the token, and the authenticator refreshes inside the retry loop."""
        if not self._due:
            return
        with lock:
            if not self._due:
                return
            self._due = False
            if not self.refresh_token:
                return  # the call will fail with the platform's own answer and the tap's advice
            try:
                refresh()
            except SourceRetriableError as exc:
                self.logger.warning(
                    "Refreshing the expired %s access token before the first call failed (%s); trying the call anyway.",
                    self.platform,
                    self._secret_filter.redact(str(exc)),
                )

    def refreshed(
        self,
        *,
        access_token: str,
        refresh_token: str | None,
        access_expires_at: float | None = None,
        refresh_expires_at: float | None = None,
    ) -> None:
        """Take a pair a refresh just returned: redact it, keep it, and store it before anything else happens."""
        self._secret_filter.add(access_token, refresh_token)
        self._due = False
        self.access_token = access_token
        self.refresh_token = refresh_token or self.refresh_token  # a platform may answer without a new one
        self.access_expires_at = access_expires_at
        until = _iso(access_expires_at) or "an unknown time"
        if self.store is None:
            self.logger.warning(
                "Refreshed the %s access token (valid until %s). The new tokens live only in this process: set "
                "config key %r so they survive it, or store fresh credentials before the configured refresh_token "
                "expires or is reused.",
                self.platform,
                until,
                STORE_CONFIG_KEY,
            )
            return
        entry = StoredTokens(
            access_token=access_token,
            refresh_token=self.refresh_token,
            obtained_at=self._clock(),
            config_fingerprint=self.fingerprint,
            access_expires_at=access_expires_at,
            refresh_expires_at=refresh_expires_at,
        )
        try:
            self.store.save(entry)
        except (OSError, TokenStoreError) as exc:
            # The sync can go on with the tokens in memory; the next run will need a re-authorisation if the
            # platform rotated the refresh token. Say so loudly.
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            self.logger.error(
                "Refreshed the %s access token but could not write token store %s (%s). If the platform rotated "
                "the refresh token, the configured one no longer works: fix the store and re-authorise the shop.",
                self.platform,
                self.store.path,
                reason,
            )
            return
        self.logger.info("Refreshed the %s access token (valid until %s); stored the new tokens in %s.", self.platform, until, self.store.path)
