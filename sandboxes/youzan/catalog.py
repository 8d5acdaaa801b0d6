"""Static reference data for the Youzan order generator: mini-program shop goods, places, names.

Prices are yuan strings (the platform's unit, fact sheet §3). ``item_id``/``sku_id`` are JSON numbers (long in
the SDK); a few sit just above 2**53 (9007199254740992) so a float parser would corrupt them.
Province/city/district names are real Chinese administrative divisions.
"""

from __future__ import annotations

# (title, item_id, alias, [(sku_id, "k:v;k:v" properties, unit price yuan, outer_sku_id)])
GOODS: tuple[tuple[str, int, str, tuple[tuple[int, str, str, str], ...]], ...] = (
    ("冷萃挂耳咖啡 10包", 1234509876, "2ox8q1pd0vz4k", (
        (36521001, "口味:经典拼配", "59.90", "CF-10-CL"),
        (36521002, "口味:耶加雪菲", "69.90", "CF-10-YG"),
    )),
    ("手作桃花酥 礼盒6枚", 9007199254740993, "3ep0vv1k2m7tq", (
        (9007199254740995, "规格:6枚装", "88.00", "PEACH-6"),
        (9007199254741001, "规格:12枚装", "158.00", "PEACH-12"),
    )),
    ("有机高山绿茶 100g", 2256004411, "1y3n3xw2pl8e0", (
        (40011201, "规格:100g袋装", "45.00", "TEA-100"),
    )),
    ("天然乳胶枕", 9007199254800511, "2fy6z8a3bq1sm", (
        (9007199254800601, "尺寸:60x40cm", "199.00", "PILLOW-S"),
        (9007199254800602, "尺寸:70x40cm", "239.00", "PILLOW-L"),
    )),
    ("宝宝辅食米粉 250g", 3318802210, "36c5ar9w0lnv4", (
        (51200301, "口味:原味", "39.80", "RICE-OR"),
        (51200302, "口味:南瓜", "42.80", "RICE-PK"),
    )),
    ("玫瑰精油香薰蜡烛", 1109844007, "3nqf6u1x9ksd2", (
        (28710011, "香型:玫瑰", "79.00", "CANDLE-R"),
        (28710012, "香型:雪松", "79.00", "CANDLE-C"),
    )),
    ("云南小粒咖啡豆 454g", 4470211302, "2x0ve77jk4p1c", (
        (66500101, "烘焙:中深烘", "98.00", "BEAN-MD"),
    )),
    ("纯棉家居服套装", 9007199255001234, "1o8bw5r2kz3mh", (
        (9007199255001301, "颜色:燕麦;尺码:M", "129.00", "HOME-OA-M"),
        (9007199255001302, "颜色:燕麦;尺码:L", "129.00", "HOME-OA-L"),
        (9007199255001303, "颜色:雾蓝;尺码:L", "139.00", "HOME-BL-L"),
    )),
)

SHOP_NAMES: tuple[str, ...] = ("鹿角咖啡小程序店", "桃花坞点心铺", "山间茶事", "好眠家纺", "小满母婴")

# (province, city, [districts]) — delivery_* fields are names, not codes.
PLACES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("浙江省", "杭州市", ("西湖区", "拱墅区", "余杭区")),
    ("江苏省", "苏州市", ("姑苏区", "常熟市")),
    ("广东省", "深圳市", ("南山区", "福田区")),
    ("上海市", "上海市", ("浦东新区", "徐汇区")),
    ("北京市", "北京市", ("朝阳区", "海淀区")),
    ("四川省", "成都市", ("武侯区", "锦江区")),
    ("湖北省", "武汉市", ("洪山区",)),
    ("福建省", "厦门市", ("思明区", "湖里区")),
)
ROADS: tuple[str, ...] = ("文三路", "天目山路", "人民路", "学院路", "滨江大道", "科技园南路", "建设路")

SURNAMES: tuple[str, ...] = ("张", "王", "李", "赵", "刘", "陈", "杨", "黄", "周", "吴", "徐", "孙", "林", "何", "郭")
GIVEN_NAMES: tuple[str, ...] = ("伟", "芳", "娜", "敏", "静", "磊", "洋", "艳", "杰", "涛", "子涵", "浩然", "雨桐", "欣怡")
NICKNAMES: tuple[str, ...] = ("小鹿", "阿满", "晴天", "Momo", "一只猫", "南风", "橘子汽水", "Lucky")
MOBILE_PREFIXES: tuple[str, ...] = ("138", "139", "150", "158", "177", "186", "188", "199")

#: Where mini-program orders come from (``source_info.order_mark``, §3).
ORDER_MARKS: tuple[str, ...] = ("wx_apps", "weapp_spotlight", "weapp_youzan", "wx_apps", "wx_apps")

# (company, tracking number prefix): tracking numbers are not in trades.sold.get; the sandbox keeps them for
# the neutral order facts the ERP sandboxes derive from.
CARRIERS: tuple[tuple[str, str], ...] = (("顺丰速运", "SF"), ("中通快递", "75"), ("圆通速递", "YT"), ("韵达快递", "43"))

BUYER_MESSAGES: tuple[str, ...] = ("", "", "", "请尽快发货", "送人的，不要放价格单", "放快递柜")

# Hour-of-day weights (Asia/Shanghai) for order creation: quiet nights, lunch and evening peaks.
HOUR_WEIGHTS: tuple[int, ...] = (2, 1, 1, 1, 1, 1, 2, 3, 5, 6, 7, 8, 9, 7, 6, 6, 6, 6, 7, 9, 11, 12, 9, 4)
