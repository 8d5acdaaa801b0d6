"""Static reference data for the JD order generator: products, places, names, carriers.

Region names are real Chinese administrative divisions. Sku ids mimic JD's shapes (12-digit self-operated style
ids), and two skus sit just above 2**53, where a float parser silently changes the last digit.
"""

from __future__ import annotations

# (name, wareId, [(skuId, unit price in fen, outerSkuId)])
PRODUCTS: tuple[tuple[str, str, tuple[tuple[str, int, str], ...]], ...] = (
    ("智能电饭煲 4L", "100034721568", (("100034721569", 39900, "RC-4L-W"), ("100034721570", 42900, "RC-4L-B"))),
    ("全自动咖啡机", "100052210931", (("100052210932", 129900, "CF-AUTO"),)),
    ("纯棉四件套 1.8m", "100018876554", (("100018876555", 29900, "BED-18-G"), ("100018876556", 29900, "BED-18-P"))),
    ("儿童安全座椅", "100061123874", (("9007199254740993", 159900, "SEAT-ISO"),)),
    ("东北五常大米 10kg", "100008830011", (("100008830012", 8990, "RICE-10"), ("100008830013", 16990, "RICE-20"))),
    ("无线降噪耳机", "100047719265", (("100047719266", 89900, "ANC-BLK"), ("100047719267", 89900, "ANC-WHT"))),
    ("有机纯牛奶 24盒", "100023349876", (("100023349877", 6990, "MILK-24"),)),
    ("机械键盘 87键", "100039987452", (("9007199254740995", 34900, "KB-87-R"), ("100039987454", 36900, "KB-87-B"))),
    ("保湿面霜 50ml", "100055512398", (("100055512399", 25900, "CREAM-50"),)),
    ("登山背包 40L", "100029938471", (("100029938472", 45900, "PACK-40"),)),
)

# (province, [(city, [(county, [town, ...])])])
PLACES: tuple[tuple[str, tuple[tuple[str, tuple[tuple[str, tuple[str, ...]], ...]], ...]], ...] = (
    ("北京", (("北京市", (("朝阳区", ("望京街道", "三里屯街道")), ("海淀区", ("中关村街道",)))),)),
    ("上海", (("上海市", (("浦东新区", ("张江镇", "陆家嘴街道")), ("徐汇区", ("田林街道",)))),)),
    ("广东", (("广州市", (("天河区", ("石牌街道",)),)), ("深圳市", (("南山区", ("粤海街道", "蛇口街道")),)))),
    ("江苏", (("南京市", (("鼓楼区", ("湖南路街道",)),)), ("苏州市", (("姑苏区", ("平江街道",)),)))),
    ("四川", (("成都市", (("武侯区", ("玉林街道",)), ("锦江区", ("春熙路街道",)))),)),
    ("湖北", (("武汉市", (("洪山区", ("珞南街道",)),)),)),
    ("浙江", (("杭州市", (("西湖区", ("文新街道",)), ("余杭区", ("五常街道",)))),)),
)
ROADS: tuple[str, ...] = ("建国路", "人民路", "科技园路", "长江路", "和平街", "中山大道", "学府路")

SURNAMES: tuple[str, ...] = ("王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林")
GIVEN_NAMES: tuple[str, ...] = ("伟", "芳", "敏", "静", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超", "秀兰", "子轩")
MOBILE_PREFIXES: tuple[str, ...] = ("138", "139", "150", "152", "158", "182", "186", "187", "189", "199")

# (logisticsId, carrier, waybill prefix)
CARRIERS: tuple[tuple[str, str, str], ...] = (
    ("2087", "京东快递", "JDV"),
    ("467", "顺丰速运", "SF"),
    ("463", "圆通速递", "YT"),
    ("1327", "韵达快递", "43"),
)

BUYER_REMARKS: tuple[str, ...] = ("", "", "", "请尽快发货", "工作日送货", "不要放发票")

#: orderStateRemark labels (the fact sheet names the field, not its values: these are the states' meanings).
STATE_REMARKS: dict[str, str] = {
    "WAIT_SELLER_STOCK_OUT": "等待出库",
    "WAIT_SELLER_DELIVERY": "等待国内配送",
    "WAIT_GOODS_RECEIVE_CONFIRM": "等待确认收货",
    "FINISHED_L": "完成",
    "TRADE_CANCELED": "取消",
    "LOCKED": "锁定",
    "PAUSE": "暂停",
    "POP_ORDER_PAUSE": "POP暂停",
}
