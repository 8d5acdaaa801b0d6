"""Shopify Admin REST API protocol: URLs, headers, cursor links, the call-limit header, error bodies.

Pure standard library, shared by the tap (``client.py``) and the sandbox so both sides read and write the
same wire format (shared/channels/shopify.md §1–§5). Shopify signs nothing: a request is authenticated
by the ``X-Shopify-Access-Token`` header alone (§2, §7), so there are no signing vectors to honour.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import typing as t
import json
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from orderlayer.taps.common.envelope import ErrorTable, fatal

#: A dated release; every URL carries one (§1). Configurable per tap (``api_version``).
DEFAULT_API_VERSION = "2026-07"
#: Stable releases are quarterly (YYYY-01/04/07/10); ``unstable`` is the preview.
API_VERSION_PATTERN = re.compile(r"^(\d{4}-(01|04|07|10)|unstable)$")
#: The myshopify subdomain: lower-case letters, digits and hyphens.
SHOP_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")

ACCESS_TOKEN_HEADER = "X-Shopify-Access-Token"
CALL_LIMIT_HEADER = "X-Shopify-Shop-Api-Call-Limit"
API_VERSION_HEADER = "X-Shopify-API-Version"
REQUEST_ID_HEADER = "X-Request-Id"

#: ``limit`` per page: default 50, maximum 250 (§3).
DEFAULT_LIMIT = 50
MAX_LIMIT = 250
#: A request carrying ``page_info`` may add only these (the cursor already holds the filters, §3).
PAGE_INFO_COMPANIONS = frozenset({"limit", "fields"})
#: ``status`` defaults to ``open`` on the platform; ``any`` is needed to see closed and cancelled orders (§4).
STATUS_ANY = "any"
STATUS_VALUES = ("open", "closed", "cancelled", "any")

#: Standard plan leaky bucket: 40 calls, leaking 2 per second (§5).
STANDARD_BUCKET_SIZE = 40
STANDARD_LEAK_PER_SECOND = 2.0
#: Without ``read_all_orders`` the Order resource shows only the last 60 days (§1).
DEFAULT_HISTORY_DAYS = 60

#: Client credentials grant (apps of the merchant's own organisation; the token lasts 24 h).
TOKEN_PATH = "/admin/oauth/access_token"
GRANT_CLIENT_CREDENTIALS = "client_credentials"

#: financial_status (REST) and the GraphQL-only EXPIRED, lower-cased (§6).
FINANCIAL_STATUSES = ("pending", "authorized", "partially_paid", "paid", "partially_refunded", "refunded", "voided", "expired")
#: Order-level fulfillment_status; REST sends null for "nothing fulfilled", written here as ``unfulfilled``.
FULFILLMENT_STATUSES = ("unfulfilled", "partial", "fulfilled", "restocked")
CANCEL_REASONS = ("customer", "fraud", "inventory", "declined", "staff", "other")


def shop_domain(shop: str) -> str:
    return f"{shop}.myshopify.com"


#: What to fix after a non-retriable HTTP status (429 / 5xx retry, a 401 renews when client credentials are set).
#: Facts: ``shop`` (config ``shop_id``), ``domain`` (its myshopify domain) and ``api_version``.
STATUS_ERRORS = ErrorTable(
    rules=(
        fatal(
            401,
            hint=(
                "the access token was rejected: check access_token is the Admin API token of an app installed on "
                "{domain} (config key 'shop_id'), or set client_id and client_secret so the tap can obtain one"
            ),
        ),
        fatal(402, hint="the shop {domain} is frozen (payment required): the store owner must settle the bill"),
        fatal(
            403,
            hint=(
                "the app lacks permission: grant the read_orders scope (and read_all_orders for orders older than "
                "60 days) to the app whose access_token / client_id the config uses"
            ),
        ),
        fatal(
            404,
            hint=(
                "not found: check 'shop_id' (the myshopify subdomain, here {shop!r}) and 'api_version' "
                f"(here {{api_version!r}}, a dated release such as {DEFAULT_API_VERSION})"
            ),
        ),
        fatal(423, hint="the shop {domain} is locked by Shopify; it must be unlocked before it can be synced"),
    ),
    fallback_hint="the request was rejected: check page_size (1-250) and api_version; otherwise report a tap bug",
)


def default_base_url(shop: str) -> str:
    """``https://{shop}.myshopify.com`` (every shop has its own host)."""
    return f"https://{shop_domain(shop)}"


def orders_path(api_version: str) -> str:
    return f"/admin/api/{api_version}/orders.json"


def graphql_path(api_version: str) -> str:
    """The Admin GraphQL endpoint: returns are GraphQL only (no REST resource)."""
    return f"/admin/api/{api_version}/graphql.json"


#: Most nodes one GraphQL connection page may ask for.
MAX_GRAPHQL_FIRST = 250
#: Returns one order may carry before the nested connection would need its own paging (then the sync fails loudly).
MAX_RETURNS_PER_ORDER = 50

#: Orders updated in a window, with their returns: a return changes its order's ``updated_at`` ([I], as refunds and
#: fulfillments do), so an order sweep on ``updated_at`` finds every new or changed return.
RETURNS_QUERY = """
query OrderReturns($first: Int!, $after: String, $query: String!) {
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id
      legacyResourceId
      updatedAt
      returns(first: %d) {
        pageInfo { hasNextPage }
        nodes {
          id name status createdAt requestApprovedAt closedAt totalQuantity
          decline { reason }
          returnLineItems(first: 50) {
            nodes {
              ... on ReturnLineItem {
                id quantity returnReason
                fulfillmentLineItem { lineItem { id } }
              }
            }
          }
          refunds(first: 20) { nodes { id } }
          reverseFulfillmentOrders(first: 10) {
            nodes {
              id status
              reverseDeliveries(first: 10) {
                nodes { id deliverable { ... on ReverseDeliveryShippingDeliverable { tracking { number carrierName } } } }
              }
              lineItems(first: 50) { nodes { totalQuantity dispositions { type quantity } } }
            }
          }
        }
      }
    }
  }
}
""" % MAX_RETURNS_PER_ORDER


def updated_search(start: int, end: int) -> str:
    """The order search string of one window: ``updated_at`` from ``start`` to ``end`` (both inclusive, UTC)."""
    return f"updated_at:>='{format_time(start)}' AND updated_at:<='{format_time(end)}'"


#: GraphQL error codes (``errors[].extensions.code``): throttling is retried, the rest is fatal with the fix.
GRAPHQL_RETRY_CODES = frozenset({"THROTTLED", "INTERNAL_SERVER_ERROR"})
GRAPHQL_HINTS = {
    "ACCESS_DENIED": "the access token lacks the read_returns scope: add it to the app and reinstall it on the shop",
}


def throttle_wait(extensions: t.Any) -> float | None:  # noqa: ANN401
    """Seconds until a throttled query's cost is available again, from ``extensions.cost`` (None: unknown)."""
    try:
        cost = extensions["cost"]
        status = cost["throttleStatus"]
        short = float(cost["requestedQueryCost"]) - float(status["currentlyAvailable"])
        return max(0.0, short / float(status["restoreRate"]))
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return None


def gid_number(gid: str) -> str:
    """The numeric id at the end of a GraphQL global id (``gid://shopify/Return/123`` → ``123``), as text."""
    return gid.rsplit("/", 1)[-1]


def format_time(epoch: int) -> str:
    """A filter value such as ``updated_at_min``: ISO-8601 with an explicit offset (UTC)."""
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).isoformat()


def parse_time(value: str) -> dt.datetime:
    """An ISO-8601 time with an offset (Shopify writes the shop's offset); a naive value is an error."""
    parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        msg = f"time {value!r} has no UTC offset"
        raise ValueError(msg)
    return parsed


def utc_text(value: str) -> str:
    """The same instant as ``value``, rendered in UTC: ``2024-11-03T06:10:00+00:00``.

    Shopify writes each time in the shop's current offset, so one shop's values change offset at
    every DST switch and cannot be compared as text; their UTC renderings can.
    """
    return parse_time(value).astimezone(dt.timezone.utc).replace(microsecond=0).isoformat()


# --------------------------------------------------------------------------- Link header (§3)
_LINK_PART = re.compile(r'<(?P<url>[^>]*)>\s*;\s*rel\s*=\s*"?(?P<rel>[A-Za-z]+)"?')


def parse_link_header(value: str | None) -> dict[str, str]:
    """``<url>; rel="next", <url>; rel="previous"`` -> ``{"next": url, "previous": url}``.

    Accepts ``rel`` with or without quotes (both appear in Shopify's documentation).
    """
    if not value:
        return {}
    return {m.group("rel").lower(): m.group("url") for m in _LINK_PART.finditer(value)}


def cursor_params(url: str) -> dict[str, str]:
    """The query of a ``rel=next`` URL, restricted to what may accompany ``page_info``.

    ``page_info`` is used exactly as given (never built or edited by the client).
    """
    params = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
    if "page_info" not in params:
        msg = f"Link URL carries no page_info: {url}"
        raise ValueError(msg)
    return {k: v for k, v in params.items() if k == "page_info" or k in PAGE_INFO_COMPANIONS}


# --------------------------------------------------------------------------- call limit (§5)
@dataclass(frozen=True)
class CallLimit:
    """``X-Shopify-Shop-Api-Call-Limit: 32/40``: calls in the bucket / bucket size."""

    used: int
    size: int

    @property
    def free(self) -> int:
        return max(0, self.size - self.used)

    def __str__(self) -> str:
        return f"{self.used}/{self.size}"


def parse_call_limit(value: str | None) -> CallLimit | None:
    if not value:
        return None
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", value)
    if match is None or int(match.group(2)) <= 0:
        return None
    return CallLimit(int(match.group(1)), int(match.group(2)))


# --------------------------------------------------------------------------- error bodies (§5)
def error_text(body: bytes | str, limit: int = 300) -> str:
    """The message of an error body: ``{"errors": "..."}``, ``{"errors": {"field": ["..."]}}`` or an
    OAuth ``{"error": ..., "error_description": ...}``; anything else is summarised, never echoed whole."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    try:
        payload = json.loads(text)
    except ValueError:
        return "non-JSON body" if text.strip() else "empty body"
    if isinstance(payload, dict):
        if "errors" in payload:
            errors = payload["errors"]
            if isinstance(errors, dict):
                parts = []
                for field, messages in errors.items():
                    listed = messages if isinstance(messages, list) else [messages]
                    parts.append(f"{field}: {'; '.join(str(m) for m in listed)}")
                return ", ".join(parts)[:limit]
            if isinstance(errors, list):
                return "; ".join(str(e) for e in errors)[:limit]
            return str(errors)[:limit]
        if "error" in payload:
            description = payload.get("error_description")
            return (f"{payload['error']}: {description}" if description else str(payload["error"]))[:limit]
    return "unexpected JSON body"


def composite_status(financial_status: str | None, fulfillment_status: str | None, cancelled: bool) -> str:
    """The native status orderlayer maps (``seeds/status_map.csv``): financial × fulfillment [× cancelled].

    The staging model builds the same text in SQL; this is the reference the sandbox and tests use.
    """
    code = f"{financial_status or 'none'}/{fulfillment_status or 'unfulfilled'}"
    return f"{code}/cancelled" if cancelled else code


# --------------------------------------------------------------------------- webhooks (docs/channels/shopify.md "Push")
#: shopify.dev "Verify webhook deliveries": base64 of the HMAC-SHA256 of the raw body, keyed with the app's client
#: secret (or, for a webhook made in the store admin, the signing secret shown there).
HMAC_HEADER = "X-Shopify-Hmac-Sha256"
TOPIC_HEADER = "X-Shopify-Topic"
SHOP_DOMAIN_HEADER = "X-Shopify-Shop-Domain"
#: The event a delivery reports: the same on every retry and on a second subscription's copy ("ignore duplicates").
EVENT_ID_HEADER = "X-Shopify-Event-Id"
#: One delivery's id; the message id only when a delivery has no event id (older API versions).
WEBHOOK_ID_HEADER = "X-Shopify-Webhook-Id"
TRIGGERED_AT_HEADER = "X-Shopify-Triggered-At"
#: Order topics: the body is the order as the REST Order resource of the subscription's API version.
ORDER_TOPICS = frozenset({
    "orders/create", "orders/updated", "orders/cancelled", "orders/paid", "orders/fulfilled", "orders/partially_fulfilled",
})
#: The body is a Refund with its ``order_id``.
REFUND_TOPIC = "refunds/create"
#: The body is a Return with its ``order`` ({id, admin_graphql_api_id}).
RETURN_TOPIC_PREFIX = "returns/"


def webhook_hmac(secret: str, body: bytes) -> str:
    """The ``X-Shopify-Hmac-Sha256`` value of ``body`` signed with ``secret``."""
    return base64.b64encode(hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()).decode("ascii")


def webhook_verified(secret: str, body: bytes, signature: str) -> bool:
    """Whether ``signature`` is the body's HMAC; constant-time (any text compares, none raises)."""
    return hmac.compare_digest(webhook_hmac(secret, body).encode("ascii"), signature.strip().encode("utf-8", "replace"))


def ids_search(ids: t.Iterable[str]) -> str:
    """The order search string of these order ids (``id:1 OR id:2``)."""
    return " OR ".join(f"id:{order_id}" for order_id in ids)
