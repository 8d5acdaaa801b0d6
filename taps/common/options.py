"""Builders for the connection, credential and paging options most taps declare, under each platform's names.

A tap's ``config_jsonschema`` lists these next to its own options and
:func:`~orderlayer.taps.common.tap.source_properties`: the names, defaults, limits and wording that differ per
platform are arguments; what is the same everywhere (types, ``secret`` flags, the sandbox note) is said once here.
"""

from __future__ import annotations

import typing as t

from singer_sdk import typing as th

__all__ = ["app_credentials", "base_url", "bounded_int", "choice", "list_option", "push_enabled", "push_switch", "tokens", "windowed_pass"]

SANDBOX_NOTE = "point it at a sandbox for tests."


def base_url(default: str | None, what: str = "Gateway URL") -> th.Property:
    """``base_url``, the one name of a tap's API root (``what`` says which root it is)."""
    return th.Property("base_url", th.StringType, default=default, description=f"{what}; {SANDBOX_NOTE}")


def app_credentials(
    key: str,
    key_note: str,
    secret: str,
    secret_note: str = "App secret; signs every request.",
    *,
    required: bool = True,
    min_length: int | None = None,
) -> list[th.Property]:
    """The app's public id (``key``) and its secret (``secret``, never logged), under the platform's names."""
    text = th.StringType(min_length=min_length) if min_length is not None else th.StringType
    return [
        th.Property(key, text, required=required, description=key_note),
        th.Property(secret, text, required=required, secret=True, description=secret_note),
    ]


def tokens(access_note: str, refresh_note: str | None = None, *, access_required: bool = True) -> list[th.Property]:
    """The shop's ``access_token`` and, where the platform has one, its ``refresh_token`` (both secrets)."""
    props = [th.Property("access_token", th.StringType, required=access_required, secret=True, description=access_note)]
    if refresh_note is not None:
        props.append(th.Property("refresh_token", th.StringType, secret=True, description=refresh_note))
    return props


def bounded_int(name: str, default: int, note: str, *, minimum: int = 1, maximum: int | None = None) -> th.Property:
    """An integer option with its platform's limits: window lengths, page sizes, page depths, look-backs."""
    return th.Property(name, th.IntegerType(minimum=minimum, maximum=maximum), default=default, description=note)


def windowed_pass(
    prefix: str,
    *,
    switch: str,
    switch_note: str,
    filters: t.Sequence[str],
    filters_note: str,
    lookback_seconds: int,
    lookback_note: str,
    max_page_size: int,
    page_size_note: str,
    max_pages: int,
    max_pages_note: str,
) -> list[th.Property]:
    """One extra windowed pass (JD's refund applications, after-sales): an on/off ``switch``, the time filters
    it reads by (one bookmark each), its look-back, page size (default the maximum) and deepest page."""
    return [
        th.Property(switch, th.BooleanType, default=True, description=switch_note),
        th.Property(
            f"{prefix}_time_filters",
            th.ArrayType(th.StringType(allowed_values=list(filters))),
            default=list(filters),
            description=filters_note,
        ),
        bounded_int(f"{prefix}_lookback_seconds", lookback_seconds, lookback_note, minimum=0),
        bounded_int(f"{prefix}_page_size", max_page_size, page_size_note, maximum=max_page_size),
        bounded_int(f"{prefix}_max_pages_per_window", max_pages, max_pages_note),
    ]


def choice(name: str, default: str, values: t.Iterable[str], note: str) -> th.Property:
    """A string option that takes one of ``values`` (sign methods, auth methods, API variants)."""
    return th.Property(name, th.StringType, default=default, allowed_values=list(values), description=note)


def list_option(name: str, default: t.Iterable[str | int], note: str, *, numeric: bool = False) -> th.Property:
    """A list-valued option with its default list: error codes treated alike, fields or types to request."""
    return th.Property(name, th.ArrayType(th.IntegerType if numeric else th.StringType), default=list(default), description=note)


def push_switch(note: str) -> th.Property:
    """``push``: whether `orderlayer serve` receives the connection's pushes (``note``: where to register its URL)."""
    return th.Property("push", th.BooleanType, default=False, description=note)


def push_enabled(config: t.Mapping[str, t.Any], platform: str) -> bool:
    """Whether a connection's config opens its push channel (``push: true``). Raises ValueError naming ``push`` for
    anything but a boolean: a quoted ``'false'`` must not open it."""
    push = config.get("push", False)
    if not isinstance(push, bool):
        msg = f"push: must be true or false, got {push!r}; write push: true in the connection's options to receive {platform}'s pushes"
        raise ValueError(msg)
    return push
