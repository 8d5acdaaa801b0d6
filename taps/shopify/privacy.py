"""Personal data in a Shopify order, removed before the tap emits it (architecture principle 6).

Unlike the Chinese platforms, Shopify sends no masks or ciphertexts: every order carries the buyer's
email, phone, names and street addresses in plain text (shared/channels/shopify.md §6 "Customer PII").
The tap therefore

* nulls plaintext fields (:data:`SHOPIFY_PII_POLICY`; keys are kept so the record shape is stable);
* replaces the receiver's name and phone in ``shipping_address`` with masks in the platforms' style
  (``B*** N*****``, ``***-***-1199``), which the canonical ``receiver_*_masked`` columns expect;
* pseudonymises the buyer id (``customer.id``, and the GraphQL id that embeds it) with the salted hash.

Region names (country, province, city) stay: they are what ``receiver_province`` / ``receiver_city`` report.
"""

from __future__ import annotations

import re
import typing as t

from orderlayer.taps.common.pii import PiiPolicy, apply_pii_policy, salted_hash

#: Address sub-fields that identify a person or a dwelling.
_ADDRESS_PLAINTEXT = frozenset(
    {"first_name", "last_name", "name", "address1", "address2", "phone", "zip", "latitude", "longitude", "company"}
)

#: Nulled wherever they occur: contact data, free text a buyer or staff may write personal data into,
#: the buyer's IP, and the order-status URL (a bearer link to a page showing the shipping address).
SHOPIFY_PII_POLICY = PiiPolicy(
    null_keys=frozenset(
        {
            "email",
            "contact_email",
            "phone",
            "browser_ip",
            "note",
            "note_attributes",
            "order_status_url",
            "multipass_identifier",
            "session_hash",
        }
    ),
    null_subkeys={
        "billing_address": _ADDRESS_PLAINTEXT,
        "default_address": _ADDRESS_PLAINTEXT,
        "customer": frozenset({"first_name", "last_name"}),
        "shipping_address": _ADDRESS_PLAINTEXT,
    },
)

_GID_CUSTOMER = re.compile(r"^gid://shopify/Customer/\d+$")


def mask_phone(value: str) -> str:
    """Every digit but the last four becomes ``*``; separators stay (``555-625-1199`` -> ``***-***-1199``).

    A value too short to be a phone number (under 7 digits) is masked whole.
    """
    digits = sum(ch.isdigit() for ch in value)
    keep_from = digits - 4 if digits >= 7 else digits
    out, seen = [], 0
    for ch in value:
        if ch.isdigit():
            out.append(ch if seen >= keep_from else "*")
            seen += 1
        else:
            out.append(ch)
    return "".join(out)


def mask_name(value: str) -> str:
    """Each word keeps its first letter (``Bob Norman`` -> ``B** N*****``), like the ``张*`` masks."""
    return " ".join(word[0] + "*" * (len(word) - 1) for word in value.split())


def _receiver_masks(address: t.Any) -> dict[str, str | None]:  # noqa: ANN401
    """Masks of the receiver's name and phone, computed from the plaintext before it is nulled."""
    if not isinstance(address, dict):
        return {}
    masks: dict[str, str | None] = {}
    for key, masker in (("name", mask_name), ("phone", mask_phone)):
        if key in address:
            value = address[key]
            masks[key] = masker(value.strip()) if isinstance(value, str) and value.strip() else None
    return masks


def _hash_customer(customer: t.Any, salt: str) -> None:  # noqa: ANN401
    if not isinstance(customer, dict):
        return
    if customer.get("id") is not None:
        customer["id"] = salted_hash(str(customer["id"]), salt)
    gid = customer.get("admin_graphql_api_id")
    if isinstance(gid, str) and _GID_CUSTOMER.match(gid):
        customer["admin_graphql_api_id"] = None  # the GraphQL id embeds the numeric buyer id
    address = customer.get("default_address")
    if isinstance(address, dict):
        for key in ("id", "customer_id"):
            if address.get(key) is not None:
                address[key] = salted_hash(str(address[key]), salt)


def scrub_order(order: dict, salt: str) -> dict:
    """Remove personal data from one REST order in place (see module docstring) and return it."""
    shipping = order.get("shipping_address")
    masks = _receiver_masks(shipping)
    _hash_customer(order.get("customer"), salt)
    apply_pii_policy(order, SHOPIFY_PII_POLICY, salt)  # nulls every plaintext ``phone``, the receiver's too
    if masks:
        shipping.update(masks)
    return order
