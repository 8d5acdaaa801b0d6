"""Static reference data for the Shopify order generator: shop profiles, products, people, carriers.

Shops differ the way real Shopify portfolios do: zone (with DST, so one shop's offsets change),
currency, tax regime (US sales tax added on top; EU/AU/UK VAT or GST included in prices) and the
currencies buyers are shown (presentment). Names, streets and phone numbers are invented.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class ShopProfile:
    zone: str
    currency: str
    country: str
    country_code: str
    #: Sales tax / VAT rate and whether prices include it.
    tax_rate: Decimal
    taxes_included: bool
    tax_title: str
    #: Shop price = catalogue USD price × this, as a charm price (…x.99 / whole amounts).
    price_factor: Decimal
    #: Currencies buyers may see besides the shop's, with the rate shop -> presentment.
    presentment: tuple[tuple[str, Decimal], ...]
    #: (province, province code, city)
    regions: tuple[tuple[str, str, str], ...]
    carriers: tuple[tuple[str, str], ...]
    name_prefix: str
    flat_shipping_cents: int
    free_shipping_from_cents: int
    phone_format: str


SHOP_PROFILES: tuple[ShopProfile, ...] = (
    ShopProfile(
        zone="America/New_York", currency="USD", country="United States", country_code="US",
        tax_rate=Decimal("0.08875"), taxes_included=False, tax_title="NY State Tax", price_factor=Decimal("1"),
        presentment=(("CAD", Decimal("1.3641")), ("EUR", Decimal("0.9237"))),
        regions=(("New York", "NY", "Brooklyn"), ("New Jersey", "NJ", "Hoboken"), ("Massachusetts", "MA", "Boston"),
                 ("Pennsylvania", "PA", "Philadelphia")),
        carriers=(("UPS", "1Z"), ("USPS", "9400"), ("FedEx", "7712")),
        name_prefix="#", flat_shipping_cents=695, free_shipping_from_cents=7500, phone_format="+1 {a}{b}{c}-555-{d}",
    ),
    ShopProfile(
        zone="Europe/Berlin", currency="EUR", country="Germany", country_code="DE",
        tax_rate=Decimal("0.19"), taxes_included=True, tax_title="MwSt", price_factor=Decimal("0.93"),
        presentment=(("CHF", Decimal("0.9412")), ("GBP", Decimal("0.8453"))),
        regions=(("Berlin", "BE", "Berlin"), ("Bayern", "BY", "München"), ("Hamburg", "HH", "Hamburg"),
                 ("Nordrhein-Westfalen", "NW", "Köln")),
        carriers=(("DHL Express", "JD0146"), ("DPD", "0150")),
        name_prefix="#DE", flat_shipping_cents=490, free_shipping_from_cents=6000, phone_format="+49 30 {a}{b}{c}5{d}",
    ),
    ShopProfile(
        zone="Australia/Sydney", currency="AUD", country="Australia", country_code="AU",
        tax_rate=Decimal("0.10"), taxes_included=True, tax_title="GST", price_factor=Decimal("1.55"),
        presentment=(("NZD", Decimal("1.0957")),),
        regions=(("New South Wales", "NSW", "Sydney"), ("Victoria", "VIC", "Melbourne"), ("Queensland", "QLD", "Brisbane")),
        carriers=(("Australia Post", "AP"), ("Sendle", "SND")),
        name_prefix="#AU", flat_shipping_cents=995, free_shipping_from_cents=10000, phone_format="+61 4{a}{b} {c}55 {d}",
    ),
    ShopProfile(
        zone="Europe/London", currency="GBP", country="United Kingdom", country_code="GB",
        tax_rate=Decimal("0.20"), taxes_included=True, tax_title="VAT", price_factor=Decimal("0.80"),
        presentment=(("EUR", Decimal("1.1830")),),
        regions=(("England", "ENG", "London"), ("Scotland", "SCT", "Edinburgh"), ("Wales", "WLS", "Cardiff")),
        carriers=(("Royal Mail", "RM"), ("Evri", "H01")),
        name_prefix="#UK", flat_shipping_cents=399, free_shipping_from_cents=5000, phone_format="+44 7{a}{b}{c} 55{d}",
    ),
    ShopProfile(
        zone="America/Los_Angeles", currency="USD", country="United States", country_code="US",
        tax_rate=Decimal("0.095"), taxes_included=False, tax_title="CA State Tax", price_factor=Decimal("1"),
        presentment=(("MXN", Decimal("17.0500")),),
        regions=(("California", "CA", "Los Angeles"), ("Oregon", "OR", "Portland"), ("Washington", "WA", "Seattle")),
        carriers=(("UPS", "1Z"), ("USPS", "9400")),
        name_prefix="#W", flat_shipping_cents=795, free_shipping_from_cents=9900, phone_format="+1 {a}{b}{c}-555-{d}",
    ),
)

# (title, product_id, ((variant_title, variant_id, sku, USD cents, grams), ...))
PRODUCTS: tuple[tuple[str, int, tuple[tuple[str, int, str, int, int], ...]], ...] = (
    ("Merino Crew Sweater", 8_141_903_577_381, (
        ("Oat / M", 44_817_223_041_061, "MCS-OAT-M", 8900, 420),
        ("Charcoal / L", 44_817_223_073_829, "MCS-CHR-L", 8900, 440),
    )),
    ("Stoneware Pour-Over Set", 8_141_903_610_149, (
        ("Sand", 44_817_223_106_597, "SPO-SAND", 5400, 1250),
    )),
    ("Canvas Weekender Bag", 8_141_903_642_917, (
        ("Olive", 44_817_223_139_365, "CWB-OLV", 12800, 1600),
        ("Navy", 44_817_223_172_133, "CWB-NVY", 12800, 1600),
    )),
    ("Single-Origin Coffee 250 g", 8_141_903_675_685, (
        ("Whole bean", 44_817_223_204_901, "SOC-250-WB", 1650, 260),
        ("Ground", 44_817_223_237_669, "SOC-250-GR", 1650, 260),
    )),
    ("Linen Napkins (set of 4)", 8_141_903_708_453, (
        ("Natural", 44_817_223_270_437, "LNP-4-NAT", 3200, 300),
    )),
    ("Beeswax Candle", 8_141_903_741_221, (
        ("Small", 44_817_223_303_205, "BWC-S", 1800, 220),
        ("Large", 44_817_223_335_973, "BWC-L", 3400, 480),
    )),
    ("Leather Card Holder", 8_141_903_773_989, (
        ("Tan", 44_817_223_368_741, "LCH-TAN", 4500, 60),
    )),
    ("Gift Card", 8_141_903_806_757, (
        ("$50", 44_817_223_401_509, "", 5000, 0),
    )),
)

FIRST_NAMES: tuple[str, ...] = (
    "Avery", "Jordan", "Maya", "Lukas", "Sofia", "Noah", "Emma", "Liam", "Chloe", "Felix", "Hannah", "Oliver",
    "Isla", "Mateo", "Zoe", "Ethan", "Lena", "Arjun", "Grace", "Theo",
)
LAST_NAMES: tuple[str, ...] = (
    "Thompson", "Müller", "Nguyen", "Schmidt", "Patel", "Walker", "Fischer", "O'Brien", "Rossi", "Kowalski",
    "Harris", "Becker", "Campbell", "Silva", "Young", "Weber",
)
STREETS: tuple[str, ...] = ("Maple Avenue", "Hauptstraße", "George Street", "High Street", "Sunset Boulevard", "Elm Court")
EMAIL_DOMAINS: tuple[str, ...] = ("example.com", "mail.example.org", "inbox.example.net")

CANCEL_REASONS_UNPAID: tuple[str, ...] = ("inventory", "declined", "customer")
CANCEL_REASONS_PAID: tuple[str, ...] = ("customer", "fraud", "staff", "other")
GATEWAYS: tuple[str, ...] = ("shopify_payments", "paypal")
MANUAL_GATEWAYS: tuple[str, ...] = ("Bank Deposit", "Cash on Delivery (COD)")
DISCOUNT_CODES: tuple[tuple[str, int], ...] = (("WELCOME10", 10), ("SPRING15", 15))
#: Shopify's ReturnReason values a buyer picks (Admin GraphQL `ReturnLineItem.returnReason`).
RETURN_REASONS: tuple[str, ...] = ("SIZE_TOO_SMALL", "DEFECTIVE", "NOT_AS_DESCRIBED", "UNWANTED", "WRONG_ITEM", "COLOR")
