"""Remove, pseudonymise or mask personal data in a record before a tap emits it: one rule set for every tap.

Architecture principle 6: no plaintext personal data lands anywhere. Each stream declares a :class:`PiiPolicy`
as data; :func:`apply_pii_policy` applies it:

* **drop**: the value becomes ``None`` (the key stays, so the record shape is stable): ``drop_keys``, and
  ``keep_only_if`` for fields that may hold either a safe shape (a platform mask or ciphertext) or plaintext —
  a value without the shape is dropped;
* **hash**: ``hash_keys`` are replaced by :func:`salted_hash`, stable per salt, so a buyer can still be counted
  or joined without being identified (the digests are pinned by tests: never change it);
* **mask**: a :class:`Mask` derives a display mask from the plaintext *before* it is dropped or hashed and
  writes it to its target key (a companion key, or the source key itself).

Drop and hash apply at every nesting level (Douyin repeats the receiver fields on each sku order), so a field
cannot slip through by moving one level down; ``within`` gives the rules for the fields of objects held under a
key (a receiver's ``name``, a customer's ``id``), wherever such an object occurs. Masks are derived at the
record's top level or in an object directly under it (where receivers live). Platform ciphertexts and masks are
not plaintext and are kept.

**The masking rule** (one for every tap; docs/DECISIONS.md D-037). At least four digits of a phone number and
all but the first character of each word of a name stay hidden:

* phone: the digits of the main number (an extension after ``_ , # 转`` or ``ext`` is dropped; ``13800001111_1234``
  is a privacy relay number). 11 or more digits: the first three and the last four around ``****``
  (``138****1234``); 8 to 10 digits: ``****`` and the last four (``555-625-1199`` → ``****1199``); fewer:
  ``****``. A value that is not shaped like a phone number (a ciphertext) gives no mask;
* name: every whitespace-separated word keeps its first character, each further character becomes ``*``; a
  one-character word becomes ``*`` (``张三丰`` → ``张**``, ``Bob Norman`` → ``B** N*****``, ``林`` → ``*``);
* a value that already contains ``*`` is the platform's own mask and is kept as sent; ``None``, non-text and
  blank values give ``None``.
"""

from __future__ import annotations

import hashlib
import re
import typing as t
from dataclasses import dataclass, field
from functools import cached_property

if t.TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["HASH_PREFIX", "Mask", "PiiPolicy", "apply_pii_policy", "is_masked", "mask_name", "mask_phone", "salted_hash"]

HASH_PREFIX = "sha256:"

_EXTENSION = re.compile(r"\s*(?:[_,#转]|ext\.?|x(?=\s*\d))", re.IGNORECASE)
_PHONE_SHAPE = re.compile(r"\+?[\d\s\-().]+")
_MIN_PHONE_DIGITS = 8
_HEAD_FROM_DIGITS = 11


def mask_phone(value: object) -> str | None:
    """The masking rule for phone numbers (module docstring)."""
    text = _text(value)
    if text is None or "*" in text:
        return text
    main = _EXTENSION.split(text, maxsplit=1)[0].strip()
    if not _PHONE_SHAPE.fullmatch(main):
        return None  # not a phone number: a ciphertext or free text is never echoed
    digits = re.sub(r"\D", "", main)
    if len(digits) < _MIN_PHONE_DIGITS:
        return "****"
    head = digits[:3] if len(digits) >= _HEAD_FROM_DIGITS else ""
    return f"{head}****{digits[-4:]}"


def mask_name(value: object) -> str | None:
    """The masking rule for names (module docstring)."""
    text = _text(value)
    if text is None or "*" in text:
        return text
    return " ".join(word[0] + "*" * (len(word) - 1) if len(word) > 1 else "*" for word in text.split())


def is_masked(value: object) -> bool:
    """Whether ``value`` is a mask (a platform's or ours): text with a ``*`` in it."""
    return isinstance(value, str) and "*" in value


def _text(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    text = value.strip()
    return text or None


_MASKERS: dict[str, Callable[[object], str | None]] = {"phone": mask_phone, "name": mask_name}


@dataclass(frozen=True)
class Mask:
    """``target`` = the mask of the first non-empty ``sources`` value, by the masking rule for ``kind``.

    Derived in the record itself, or (``within``) in the object the record holds under that key; written only
    where one of ``sources`` is present (``None`` when nothing can be masked). ``plaintext`` narrows which
    values are masked at all (e.g. a platform whose name ciphertexts look like words).
    """

    kind: t.Literal["phone", "name"]
    sources: tuple[str, ...]
    target: str
    within: str | None = None
    plaintext: Callable[[str], bool] | None = None

    def derive(self, host: dict) -> str | None:
        value = next((host[key] for key in self.sources if host.get(key) not in (None, "")), None)
        if self.plaintext is not None and not (isinstance(value, str) and self.plaintext(value)):
            return None
        return _MASKERS[self.kind](value)


@dataclass(frozen=True)
class PiiPolicy:
    """One stream's personal fields (module docstring), declared as data."""

    #: Keys whose value is replaced by ``None`` wherever they occur.
    drop_keys: frozenset[str] = frozenset()
    #: Keys whose value is replaced by :func:`salted_hash` wherever they occur.
    hash_keys: frozenset[str] = frozenset()
    #: ``{key: has_safe_shape}``: wherever ``key`` occurs, a non-empty value without the shape is dropped.
    keep_only_if: t.Mapping[str, Callable[[t.Any], bool]] = field(default_factory=dict)
    #: ``{object_key: policy}``: the rules for the fields of an object held under ``object_key`` (generic
    #: names such as ``name`` or ``id`` are personal only there).
    within: t.Mapping[str, PiiPolicy] = field(default_factory=dict)
    masks: tuple[Mask, ...] = ()

    @cached_property
    def targets(self) -> frozenset[str]:
        """Every key this policy acts on (computed once: the scrub runs for every record)."""
        return self.drop_keys | self.hash_keys | frozenset(self.keep_only_if) | frozenset(self.within)


def salted_hash(value: str, salt: str) -> str:
    """``"sha256:" + sha256(salt + value)``: the pseudonym format every tap emits."""
    return HASH_PREFIX + hashlib.sha256((salt + value).encode("utf-8")).hexdigest()


def apply_pii_policy(obj: t.Any, policy: PiiPolicy, salt: str) -> t.Any:  # noqa: ANN401
    """Scrub ``obj`` in place (dicts and lists, recursively) and return it."""
    if not salt:
        msg = "a non-empty salt is required to pseudonymise personal identifiers"
        raise ValueError(msg)
    derived = _derive_masks(obj, policy.masks) if policy.masks and type(obj) is dict else []
    _scrub(obj, policy, salt)
    for host, key, mask in derived:
        host[key] = mask
    return obj


def _derive_masks(record: dict, masks: tuple[Mask, ...]) -> list[tuple[dict, str, str | None]]:
    derived = []
    for mask in masks:
        host = record if mask.within is None else record.get(mask.within)
        if type(host) is dict and any(key in host for key in mask.sources):
            derived.append((host, mask.target, mask.derive(host)))
    return derived


def _scrub(obj: t.Any, policy: PiiPolicy, salt: str) -> None:  # noqa: ANN401
    # Hot path (every record of every sync): set intersection finds the few keys of
    # interest at C speed, and only containers are descended into.
    if type(obj) is dict:
        _apply_here(obj, policy, salt)
        for value in obj.values():
            if type(value) is dict or type(value) is list:
                _scrub(value, policy, salt)
    elif type(obj) is list:
        for item in obj:
            if type(item) is dict or type(item) is list:
                _scrub(item, policy, salt)


def _apply_here(obj: dict, policy: PiiPolicy, salt: str) -> None:
    """The policy's rules for the keys of ``obj`` itself (not of the objects below it)."""
    for key in policy.targets & obj.keys():
        value = obj[key]
        keep = policy.keep_only_if.get(key)
        if keep is not None and value not in (None, "") and not keep(value):
            obj[key] = value = None
        if key in policy.drop_keys:
            obj[key] = None
        elif key in policy.hash_keys:
            if value is not None and value != "":
                obj[key] = salted_hash(str(value), salt)
        elif key in policy.within and type(value) is dict:
            _apply_here(value, policy.within[key], salt)
