"""Remove or pseudonymise personal data in a record before a tap emits it.

Architecture principle 6: no plaintext personal data lands anywhere. Each channel
declares a :class:`PiiPolicy` naming its plaintext fields (set to null, key kept so the
record shape is stable), object fields holding plaintext sub-fields, and identifiers that
are replaced by a salted SHA-256 (stable per salt, so a buyer can still be counted or
joined without being identified). Platform ciphertexts and ``138****1234``-style masks
are not plaintext and are left as sent.

The policy is applied at every nesting level (Douyin repeats the receiver fields on
each sku order), so a field cannot slip through by moving one level down.
"""

from __future__ import annotations

import hashlib
import typing as t
from dataclasses import dataclass, field

HASH_PREFIX = "sha256:"


@dataclass(frozen=True)
class PiiPolicy:
    #: Keys whose value is replaced by ``None`` wherever they occur.
    null_keys: frozenset[str] = frozenset()
    #: ``{object_key: {sub_key, ...}}``: inside an object under ``object_key``, null these.
    null_subkeys: t.Mapping[str, frozenset[str]] = field(default_factory=dict)
    #: Keys whose string value is replaced by :func:`salted_hash`.
    hash_keys: frozenset[str] = frozenset()


def salted_hash(value: str, salt: str) -> str:
    """``"sha256:" + sha256(salt + value)``: the pseudonym format every tap emits."""
    return HASH_PREFIX + hashlib.sha256((salt + value).encode("utf-8")).hexdigest()


def apply_pii_policy(obj: t.Any, policy: PiiPolicy, salt: str) -> t.Any:  # noqa: ANN401
    """Scrub ``obj`` in place (dicts and lists, recursively) and return it."""
    if not salt:
        msg = "a non-empty salt is required to pseudonymise personal identifiers"
        raise ValueError(msg)
    _scrub(obj, policy, salt)
    return obj


def _scrub(obj: t.Any, policy: PiiPolicy, salt: str) -> None:  # noqa: ANN401
    if isinstance(obj, dict):
        for key, value in obj.items():
            if key in policy.null_keys:
                obj[key] = None
            elif key in policy.hash_keys:
                if value is not None and value != "":
                    obj[key] = salted_hash(str(value), salt)
            else:
                subkeys = policy.null_subkeys.get(key)
                if subkeys and isinstance(value, dict):
                    for sub in subkeys:
                        if sub in value:
                            value[sub] = None
                if isinstance(value, (dict, list)):
                    _scrub(value, policy, salt)
    elif isinstance(obj, list):
        for item in obj:
            if isinstance(item, (dict, list)):
                _scrub(item, policy, salt)
