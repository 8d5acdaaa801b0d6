"""Personal data in Pinduoduo orders: what the tap removes or pseudonymises before emitting a record.

Fact sheet §5 "PII": the receiver's name, phone and address (``receiver_name``, ``receiver_phone``,
``receiver_address``, ``address``) arrive as platform ciphertext — ``~…~`` for text, ``$…$`` for phone
numbers — beside masked companions (``receiver_phone_mask`` = ``1*********5``). An older SDK note says the
phone came in plaintext while an order awaited shipment, so the same field can hold either. The rule here:
a value of those fields is kept only when it has the ciphertext shape; anything else is nulled (the key
stays). Masks and region names are not personal data and are kept. ``open_address_id`` (the platform's
merge-shipment id: one per receiver) identifies a person across orders, so it is salted-hashed; it is the
closest thing to a buyer id these order APIs expose.
"""

from __future__ import annotations

import re
import typing as t

from orderlayer.taps.common.pii import PiiPolicy, apply_pii_policy

#: Fields that must hold ciphertext (at any nesting level: cards, ids and receivers alike).
CIPHERTEXT_ONLY_FIELDS = frozenset(
    {
        "receiver_name",
        "receiver_phone",
        "receiver_address",
        "address",
        "contact_mobile",
        "id_card_name",
        "id_card_num",
        "card_no",
        "mask_password",
    }
)

# ``~<base64>~<version>~~`` or ``$<search index>$<base64>$<version>$$``: a separator-wrapped run of base64
# characters and separators, ending in a doubled separator.
_CIPHERTEXT = re.compile(r"([~$])[A-Za-z0-9+/=]{4,}\1[A-Za-z0-9+/=~$]*\1\1")


def is_ciphertext(value: t.Any) -> bool:  # noqa: ANN401
    return isinstance(value, str) and _CIPHERTEXT.fullmatch(value) is not None


#: Plaintext by nature, always nulled; identifiers salted-hashed; receiver data kept only as ciphertext.
PINDUODUO_PII_POLICY = PiiPolicy(
    drop_keys=frozenset({"phone_number_chosen_by_user"}),
    hash_keys=frozenset({"open_address_id", "open_address_id_2"}),
    keep_only_if=dict.fromkeys(CIPHERTEXT_ONLY_FIELDS, is_ciphertext),
)


def scrub_order(record: dict, salt: str) -> dict:
    """Apply :data:`PINDUODUO_PII_POLICY` (in place)."""
    return apply_pii_policy(record, PINDUODUO_PII_POLICY, salt)
