"""What the Shopify Admin REST API serves and checks, from shared/channels/shopify.md (§1–§5, §7).

The sandbox's own reading of the platform, independent of the tap's ``protocol`` module. Shopify
signs no Admin API request (§7): a call is authenticated by the access-token header alone, so
there is no signature to check here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import typing as t

#: §1: every URL carries a dated release (quarterly ``YYYY-01/04/07/10``) or ``unstable``.
DEFAULT_API_VERSION = "2026-07"
API_VERSION_PATTERN = re.compile(r"^(?:\d{4}-(?:01|04|07|10)|unstable)$")
#: A myshopify subdomain: lower-case letters, digits and hyphens.
SHOP_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")

# §2 and §5: the headers on the wire.
ACCESS_TOKEN_HEADER = "X-Shopify-Access-Token"
CALL_LIMIT_HEADER = "X-Shopify-Shop-Api-Call-Limit"
API_VERSION_HEADER = "X-Shopify-API-Version"
REQUEST_ID_HEADER = "X-Request-Id"

#: §3: ``limit`` defaults to 50, at most 250; with ``page_info`` only ``limit`` and ``fields`` may be sent.
DEFAULT_LIMIT, MAX_LIMIT = 50, 250
PAGE_INFO_COMPANIONS = frozenset({"limit", "fields"})
#: §4: ``status`` filter values (the platform's default is ``open``).
STATUS_VALUES = ("open", "closed", "cancelled", "any")

#: §5: the standard plan's leaky bucket holds 40 calls and leaks 2 a second.
STANDARD_BUCKET_SIZE, STANDARD_LEAK_PER_SECOND = 40, 2.0
#: §1: without ``read_all_orders`` only the last 60 days of orders are visible.
DEFAULT_HISTORY_DAYS = 60

#: §2: the client-credentials grant of an app of the merchant's own organisation.
TOKEN_PATH = "/admin/oauth/access_token"
GRANT_CLIENT_CREDENTIALS = "client_credentials"


def shop_domain(shop: str) -> str:
    """§1: a shop's own host."""
    return shop + ".myshopify.com"


def orders_path(api_version: str) -> str:
    """§1: the REST order list of one API version."""
    return "/admin/api/" + api_version + "/orders.json"


def graphql_path(api_version: str) -> str:
    """The Admin GraphQL endpoint of one API version (returns are GraphQL only)."""
    return "/admin/api/" + api_version + "/graphql.json"


#: GraphQL connections page ``first`` <= 250 nodes; the order search reads ``updated_at:>='…'`` filters.
MAX_GRAPHQL_FIRST = 250
#: The query cost bucket of a standard plan: 1 000 points, 50 restored a second ([I] for the sandbox's costing).
GRAPHQL_BUCKET, GRAPHQL_RESTORE_PER_SECOND = 1000.0, 50.0
#: What the sandbox charges each returns query (points).
GRAPHQL_QUERY_COST = 52.0


def format_link_header(links: t.Mapping[str, str]) -> str:
    """§3: ``<url>; rel="next", <url>; rel="previous"``."""
    return ", ".join('<' + url + '>; rel="' + rel + '"' for rel, url in links.items())


def error_text(body: str, limit: int = 300) -> str:
    """One line for the request log from an error body this sandbox wrote: ``{"errors": text}``,
    ``{"errors": {field: [messages]}}`` or OAuth's ``{"error", "error_description"}``."""
    payload = json.loads(body)
    errors = payload.get("errors")
    if isinstance(errors, dict):
        text = ", ".join(f"{field}: {'; '.join(map(str, messages if isinstance(messages, list) else [messages]))}" for field, messages in errors.items())
    elif errors is not None:
        text = str(errors)
    else:
        description = payload.get("error_description")
        text = f"{payload.get('error')}: {description}" if description else str(payload.get("error"))
    return text[:limit]


# Webhooks (shopify.dev "About webhooks", "Verify webhook deliveries", "Ignore duplicates"): a JSON POST per event,
# signed with the app's client secret over the raw body; any 2xx within 5 s acknowledges it (the kit's default
# ChannelSandbox.push_acknowledged), anything else is retried.
WEBHOOK_HMAC_HEADER = "X-Shopify-Hmac-Sha256"
WEBHOOK_HEADERS = ("X-Shopify-Topic", "X-Shopify-Shop-Domain", "X-Shopify-API-Version", "X-Shopify-Webhook-Id",
                   "X-Shopify-Event-Id", "X-Shopify-Triggered-At")


def webhook_signature(secret: str, body: bytes) -> str:
    """The delivery's ``X-Shopify-Hmac-Sha256``: base64 of HMAC-SHA256(key=secret, msg=body)."""
    return base64.b64encode(hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()).decode("ascii")
