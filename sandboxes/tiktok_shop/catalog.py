"""Static material for the TikTok Shop sandbox: shop regions, products, buyers' regions.

Prices are in US cents; a region's price is derived by a fixed rate and rounding rule, so the same
product costs a plausible amount in each shop's own currency (multi-currency sellers).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Region:
    code: str
    currency: str
    #: Minor-unit exponent of the currency (VND has none: its amounts are whole dong).
    exponent: int
    #: Local minor units per US cent, and the local minor-unit step prices are rounded to.
    per_cent: Decimal
    step: int
    #: US/UK shops pass through ON_HOLD (the 1-hour buyer-remorse window) after payment.
    on_hold: bool
    #: Sales tax is added on top of the price (US); elsewhere it is included.
    tax_rate: Decimal
    #: Standard shipping fee in local minor units.
    shipping_fee: int
    phone_prefix: str
    places: tuple[tuple[str, str, str, str], ...]  # (state, city, district, zipcode)


REGIONS: dict[str, Region] = {
    "US": Region("US", "USD", 2, Decimal(1), 1, True, Decimal("0.0825"), 499, "(+1)",
                 (("California", "Los Angeles", "Downtown", "90012"), ("Texas", "Austin", "Travis", "78701"),
                  ("New York", "New York", "Manhattan", "10001"))),
    "GB": Region("GB", "GBP", 2, Decimal("0.79"), 1, True, Decimal(0), 399, "(+44)",
                 (("England", "London", "Camden", "NW1 8NH"), ("Scotland", "Glasgow", "City Centre", "G1 1XQ"),
                  ("England", "Manchester", "Ancoats", "M4 6BF"))),
    "VN": Region("VN", "VND", 0, Decimal(250), 1000, False, Decimal(0), 30_000, "(+84)",
                 (("Hồ Chí Minh", "Thủ Đức", "Quận 1", "700000"), ("Hà Nội", "Ba Đình", "Phúc Xá", "100000"),
                  ("Đà Nẵng", "Hải Châu", "Thạch Thang", "550000"))),
}
REGION_CYCLE = ("US", "GB", "VN")


@dataclass(frozen=True)
class Sku:
    product_id: str
    product_name: str
    sku_id: str
    sku_name: str
    seller_sku: str
    price_cents: int


#: sku_id "9007199254740993" is 2^53 + 1: a float parser turns it into ...992.
SKUS: tuple[Sku, ...] = (
    Sku("1729385019432113841", "Ceramic Pour-Over Coffee Set", "1729385019432179377", "White", "CPO-WHT", 3499),
    Sku("1729385019432113841", "Ceramic Pour-Over Coffee Set", "1729385019432244913", "Black", "CPO-BLK", 3499),
    Sku("1729412230564857009", "Linen Throw Blanket", "1729412230564922545", "Sand / 130x170", "LTB-SND", 5900),
    Sku("1729433751032680625", "Stainless Water Bottle 750ml", "9007199254740993", "Forest Green", "SWB-GRN", 2450),
    Sku("1729433751032680625", "Stainless Water Bottle 750ml", "1729433751032811697", "Matte Black", "SWB-BLK", 2450),
    Sku("1729451178203623601", "Wireless Earbuds Pro", "1729451178203689137", "Default", "WEP-001", 7999),
    Sku("1729468112908304561", "Yoga Mat 6mm", "1729468112908370097", "Lavender", "YM6-LAV", 2999),
    Sku("1729468112908304561", "Yoga Mat 6mm", "1729468112908435633", "Charcoal", "YM6-CHR", 2999),
    Sku("1729490017356206257", "Scented Soy Candle", "1729490017356271793", "Fig & Cedar", "SSC-FIG", 1899),
    Sku("1729502448133214897", "Kids' Rain Jacket", "1729502448133280433", "Yellow / 4-5Y", "KRJ-Y45", 3950),
    Sku("1729502448133214897", "Kids' Rain Jacket", "1729502448133345969", "Navy / 6-7Y", "KRJ-N67", 3950),
    Sku("1729519887562391729", "Phone Tripod Stand", "1729519887562457265", "Default", "PTS-001", 1599),
)

FIRST_NAMES = ("James", "Olivia", "Minh", "Amelia", "Noah", "Linh", "Harper", "Ethan", "Sophie", "Lucas")
LAST_NAMES = ("Smith", "Nguyen", "Brown", "Tran", "Taylor", "Wilson", "Pham", "Evans", "Clark", "Hughes")
STREETS = ("Maple Street", "High Street", "Lê Lợi", "Oak Avenue", "Station Road", "Nguyễn Huệ", "Pine Lane")
BUYER_MESSAGES = ("Please leave it at the door", "Gift wrap if possible", "Call before delivery")
SHOP_NAMES = ("Hearth & Home Goods", "Northwind Lifestyle", "Saigon Daily Living", "Lumen Outdoor")
CANCEL_REASONS = {
    "SYSTEM": "Payment overdue",
    "BUYER": "No longer needed",
    "SELLER": "Out of stock",
}
