"""Personal data in a Shopify order, removed before the tap emits it (architecture principle 6).

Unlike the Chinese platforms, Shopify sends no masks or ciphertexts: every order carries the buyer's
email, phone, names and street addresses in plain text (shared/channels/shopify.md §6 "Customer PII").
:data:`SHOPIFY_PII_POLICY` therefore

* nulls plaintext fields (keys are kept so the record shape is stable);
* replaces the receiver's name and phone in ``shipping_address`` with masks by the one masking rule of
  ``taps/common/pii.py`` (``B** N*****``, ``****1199``), which the canonical ``receiver_*_masked`` columns expect;
* pseudonymises the buyer id (``customer.id`` and the address's ``customer_id``) with the salted hash, and
  drops a customer GraphQL id (it embeds the numeric buyer id).

Region names (country, province, city) stay: they are what ``receiver_province`` / ``receiver_city`` report.
"""

from __future__ import annotations

import re

from orderlayer.taps.common.pii import Mask, PiiPolicy, apply_pii_policy

#: Address sub-fields that identify a person or a dwelling.
_ADDRESS_PLAINTEXT = frozenset(
    {"first_name", "last_name", "name", "address1", "address2", "phone", "zip", "latitude", "longitude", "company"}
)
_ADDRESS = PiiPolicy(drop_keys=_ADDRESS_PLAINTEXT)

_GID_CUSTOMER = re.compile(r"^gid://shopify/Customer/\d+$")


def _not_a_customer_gid(value: object) -> bool:
    return not (isinstance(value, str) and _GID_CUSTOMER.match(value))


#: Nulled wherever they occur: contact data, free text a buyer or staff may write personal data into,
#: the buyer's IP, and the order-status URL (a bearer link to a page showing the shipping address).
SHOPIFY_PII_POLICY = PiiPolicy(
    drop_keys=frozenset(
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
    keep_only_if={"admin_graphql_api_id": _not_a_customer_gid},
    within={
        "billing_address": _ADDRESS,
        "default_address": PiiPolicy(drop_keys=_ADDRESS_PLAINTEXT, hash_keys=frozenset({"id", "customer_id"})),
        "customer": PiiPolicy(drop_keys=frozenset({"first_name", "last_name"}), hash_keys=frozenset({"id"})),
        "shipping_address": _ADDRESS,
    },
    masks=(
        Mask("name", ("name",), "name", within="shipping_address"),
        Mask("phone", ("phone",), "phone", within="shipping_address"),
    ),
)


def scrub_order(order: dict, salt: str) -> dict:
    """Remove personal data from one REST order in place (see module docstring) and return it."""
    return apply_pii_policy(order, SHOPIFY_PII_POLICY, salt)


#: A return: the buyer's own words (``customerNote`` on each return line item, a decline ``note``) are dropped; the
#: platform's reason (``returnReason``) stays.
SHOPIFY_RETURN_PII_POLICY = PiiPolicy(drop_keys=frozenset({"customerNote", "note", "returnReasonNote"}))


def scrub_return(record: dict, salt: str) -> dict:
    """Remove personal data from one return record in place and return it."""
    return apply_pii_policy(record, SHOPIFY_RETURN_PII_POLICY, salt)
