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
    targets = policy.null_keys | policy.hash_keys | frozenset(policy.null_subkeys)
    _scrub(obj, policy, targets, salt)
    return obj


def _scrub(obj: t.Any, policy: PiiPolicy, targets: frozenset[str], salt: str) -> None:  # noqa: ANN401
    # Hot path (every record of every sync): set intersection finds the few keys of
    # interest at C speed, and only containers are descended into.
    if type(obj) is dict:
        for key in targets & obj.keys():
            value = obj[key]
            if key in policy.null_keys:
                obj[key] = None
            elif key in policy.hash_keys:
                if value is not None and value != "":
                    obj[key] = salted_hash(str(value), salt)
            elif type(value) is dict:
                for sub in policy.null_subkeys[key] & value.keys():
                    value[sub] = None
        for value in obj.values():
            if type(value) is dict or type(value) is list:
                _scrub(value, policy, targets, salt)
    elif type(obj) is list:
        for item in obj:
            if type(item) is dict or type(item) is list:
                _scrub(item, policy, targets, salt)
