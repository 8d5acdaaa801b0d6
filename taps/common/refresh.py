"""`RefreshingAuthenticator`: the token state and the refresh guard of every tap that refreshes its access token.

Douyin, JD, Taobao, TikTok Shop and Pinduoduo sign each request with an access token and, when the gateway
rejects it as expired, refresh it once with the configured ``refresh_token``. What must not differ between them
lives here:

* the token pair, the lock that serialises refreshes across streams and the :class:`TokenKeeper` that stores
  every refreshed pair (taps/common/tokens.py);
* the guard after a rejection: a request signed with an older token only needs a retry (another stream already
  refreshed); no refresh_token is fatal, naming the config key; a token the last refresh just returned being
  rejected again is fatal with "re-authorize the shop" (a new refresh would not help and may spend the refresh
  token); otherwise refresh;
* handing the new pair to the keeper and counting refreshes.

A platform subclass supplies what really differs: :meth:`fetch_tokens` (the refresh call and its answer),
its ``error_class`` where it has its own, its wording (``token_noun``, ``refresh_noun``,
``rejected_again_cause``) and, where its rule differs, :meth:`rejected_again`.
"""

from __future__ import annotations

import abc
import threading
import time
import typing as t
from dataclasses import dataclass

from singer_sdk.authenticators import APIAuthenticatorBase

from orderlayer.taps.common.envelope import answer_error_fields
from orderlayer.taps.common.errors import SourceAPIError
from orderlayer.taps.common.redact import SecretFilter
from orderlayer.taps.common.tokens import TokenKeeper

if t.TYPE_CHECKING:
    import logging
    from collections.abc import Callable

    import requests

__all__ = ["NewTokens", "RefreshingAuthenticator", "RejectedAnswer", "TokenCalls"]


class RejectedAnswer(t.Protocol):
    """A platform's error answer (:class:`~orderlayer.taps.common.envelope.Answer`)."""

    @property
    def code(self) -> int | str | None: ...

    def describe(self, method: str) -> str: ...


AnswerT = t.TypeVar("AnswerT", bound=RejectedAnswer)


@dataclass(frozen=True)
class NewTokens:
    """What a successful refresh returned (expiries as epoch seconds, None when the answer did not say)."""

    access_token: str
    refresh_token: str | None = None
    access_expires_at: float | None = None
    refresh_expires_at: float | None = None

    @classmethod
    def from_answer(
        cls,
        access_token: t.Any,  # noqa: ANN401
        refresh_token: t.Any,  # noqa: ANN401
        *,
        access_expires_at: float | None = None,
        refresh_expires_at: float | None = None,
    ) -> NewTokens:
        """From raw answer fields: an empty or missing refresh token means "keep the current one"."""
        return cls(str(access_token), str(refresh_token) if refresh_token else None, access_expires_at, refresh_expires_at)


@dataclass(frozen=True)
class TokenCalls:
    """What a refreshing authenticator works with besides its credentials: the tokens (and where refreshed ones
    go), the session and timeout of its own calls (the refresh), its log and its clock."""

    tokens: TokenKeeper
    session: requests.Session
    timeout: float
    logger: logging.Logger
    clock: Callable[[], float] = time.time

    @classmethod
    def in_memory(
        cls,
        access_token: str,
        refresh_token: str | None,
        *,
        platform: str,
        session: requests.Session,
        timeout: float,
        logger: logging.Logger,
        clock: Callable[[], float] = time.time,
        secret_filter: SecretFilter | None = None,
    ) -> TokenCalls:
        """Tokens that live only in this process (no token store)."""
        keeper = TokenKeeper(
            platform=platform, access_token=access_token, refresh_token=refresh_token, identity=(),
            secret_filter=secret_filter or SecretFilter(), logger=logger, clock=clock,
        )
        return cls(keeper, session, timeout, logger, clock)


class RefreshingAuthenticator(APIAuthenticatorBase, t.Generic[AnswerT], abc.ABC):
    """Base of a signing authenticator that owns a refreshable access token (see module docstring)."""

    #: The platform's name in log lines and the token store.
    platform: t.ClassVar[str]
    #: What the platform calls the access token and its refresh, in error messages.
    token_noun: t.ClassVar[str] = "access token"
    refresh_noun: t.ClassVar[str] = "token refresh"
    #: Why a token rejected right after a refresh cannot be fixed by refreshing again, when the platform knows.
    rejected_again_cause: t.ClassVar[str] = ""
    #: A rejection this soon after a successful refresh is not refreshed again (:meth:`rejected_again`).
    rerefresh_cooldown_seconds: t.ClassVar[float] = 60.0

    def __init__(self, calls: TokenCalls) -> None:
        super().__init__()
        #: The HTTP session and timeout of the refresh call (the platform's :meth:`fetch_tokens`).
        self._session = calls.session
        self._timeout = calls.timeout
        #: Where refreshed tokens go (and, with a token store, come from); see taps/common/tokens.py.
        self._tokens = calls.tokens
        self._access_token = calls.tokens.access_token
        self._refresh_token = calls.tokens.refresh_token or None
        self._clock = calls.clock
        self._lock = threading.Lock()
        self._refreshed_at: float | None = None
        self.refresh_count = 0
        self.logger = calls.logger

    @property
    def access_token(self) -> str:
        return self._access_token

    def refresh_if_due(self) -> None:
        """Refresh before signing when the stored access token is known to be expired (once per run)."""
        self._tokens.refresh_if_due(self._lock, self._refresh)

    def handle_token_rejected(self, rejected_token: str | None, answer: AnswerT, method: str) -> None:
        """The gateway rejected ``rejected_token`` as expired or unknown: refresh once, or fail naming the fix.

        ``rejected_token`` is the token the request was signed with (None when it cannot be read back).
        """
        with self._lock:
            if rejected_token is not None and rejected_token != self._access_token:
                return  # the request used an older token; a refresh already happened
            if not self._refresh_token:
                msg = (
                    f"{answer.describe(method)}: the {self.token_noun} is expired or unknown and no refresh_token is "
                    "configured. Set config key 'refresh_token' (or put a fresh 'access_token' in the config)."
                )
                raise self.answer_error(answer, msg)
            circumstance = self.rejected_again()
            if circumstance:
                cause = f"{self.rejected_again_cause}; " if self.rejected_again_cause else ""
                msg = (
                    f"{answer.describe(method)} {circumstance}: {cause}re-authorize the shop for this app and update "
                    "'access_token' and 'refresh_token' in the config."
                )
                raise self.answer_error(answer, msg)
            self._refresh()

    def rejected_again(self) -> str | None:
        """Why refreshing again cannot help (the rest of "<answer> ..."), or None to refresh.

        Called under the lock when the current token was rejected. The default: a refresh succeeded moments ago.
        """
        if self._refreshed_at is not None and self._clock() - self._refreshed_at < self.rerefresh_cooldown_seconds:
            return f"right after a successful {self.refresh_noun}"
        return None

    def _refresh(self) -> None:
        """Refresh now and keep (and store) the new pair; the caller holds the lock."""
        fresh = self.fetch_tokens()
        self._tokens.refreshed(
            access_token=fresh.access_token,
            refresh_token=fresh.refresh_token,
            access_expires_at=fresh.access_expires_at,
            refresh_expires_at=fresh.refresh_expires_at,
        )
        self._access_token = self._tokens.access_token
        self._refresh_token = self._tokens.refresh_token
        self._refreshed_at = self._clock()
        self.refresh_count += 1

    @abc.abstractmethod
    def fetch_tokens(self) -> NewTokens:
        """Call the platform's refresh with ``self._refresh_token``; raise the platform's retriable error for a
        transient failure and a fatal one (naming the fix) when the refresh token is rejected."""

    #: The fatal error this platform raises.
    error_class: t.ClassVar[type[SourceAPIError]] = SourceAPIError

    def answer_error(self, answer: AnswerT, message: str) -> SourceAPIError:
        """The platform's fatal error for ``answer`` (with the answer's code fields), carrying ``message``."""
        return self.error_class(message, **answer_error_fields(answer))
