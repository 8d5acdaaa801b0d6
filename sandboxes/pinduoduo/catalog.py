"""Static reference data for the Pinduoduo order generator: goods, places, names, couriers.

Shapes follow the fact sheet's real order (S9): ``goods_id`` ~10 digits, ``sku_id`` ~12 digits, yuan prices,
PDD region ids beside region names. Two skus sit at the 2**53 boundary (9007199254740992/3), where a float
parser silently changes the last digit: the tap and the staging layer must keep them digit for digit.
"""

from __future__ import annotations

# (goods_name, goods_id, (cat_id_1..4), ((sku_id, goods_spec, unit price in fen, outer_id), ...))
GOODS: tuple[tuple[str, int, tuple[int, int, int, int], tuple[tuple[int, str, int, str], ...]], ...] = (
    ("格志M880考勤机 纸卡式打卡机", 3956183219, (2603, 2616, 4780, 0), (
        (840777314605, "M880白色(插电款)+送50张纸卡", 19800, "M880"),
        (840777314606, "M880黑色(插电款)+送100张纸卡", 21800, "M880B"),
    )),
    ("智能电动牙刷 成人款", 9007199254740992, (9316, 9333, 9340, 0), (
        (9007199254740993, "星空蓝 +4刷头", 9900, "BRUSH-BL"),
        (9007199254740992, "樱花粉 +4刷头", 9900, "BRUSH-PK"),
    )),
    ("东北五常大米 5kg 新米", 4172093318, (6398, 6400, 6433, 0), (
        (931208872001, "5kg 真空包装", 4990, "RICE-5"),
        (931208872002, "10kg 家庭装", 8990, "RICE-10"),
    )),
    ("加厚抽纸 24包整箱", 2810457719, (16989, 17011, 17024, 0), (
        (706612340001, "24包 3层", 2590, "TISSUE-24"),
    )),
    ("夏季冰丝阔腿裤 女", 5520813342, (743, 9813, 9841, 0), (
        (1207733018801, "黑色 M", 3990, "PANT-BK-M"),
        (1207733018802, "黑色 L", 3990, "PANT-BK-L"),
        (1207733018803, "杏色 XL", 4290, "PANT-AP-XL"),
    )),
    ("赣南脐橙 5斤装", 6031987120, (6398, 6402, 6470, 0), (
        (1355029981001, "5斤 中果", 2980, "ORANGE-5M"),
        (1355029981002, "5斤 大果", 3680, "ORANGE-5L"),
    )),
    ("儿童保温水杯 316不锈钢", 3389201456, (5817, 5830, 5851, 0), (
        (801245663301, "恐龙绿 400ml", 4590, "CUP-G"),
        (801245663302, "独角兽粉 400ml", 4590, "CUP-P"),
    )),
    ("手机壳 防摔透明", 1982003345, (2933, 2937, 2950, 0), (
        (501118272201, "透明 适用iPhone15", 990, "CASE-15"),
    )),
)

SHOP_NAMES: tuple[str, ...] = ("格志办公旗舰店", "北国粮仓", "家清百货", "衣橱小铺", "好物优选", "果农直供")

# (province, province_id, ((city, city_id, ((town, town_id), ...)), ...)) — PDD's own small region ids.
PLACES: tuple[tuple[str, int, tuple[tuple[str, int, tuple[tuple[str, int], ...]], ...]], ...] = (
    ("广东省", 6, (("潮州市", 78, (("潮安区", 712), ("湘桥区", 711))), ("广州市", 76, (("天河区", 693), ("海珠区", 690))))),
    ("浙江省", 31, (("杭州市", 383, (("西湖区", 3230), ("余杭区", 3236))), ("温州市", 385, (("鹿城区", 3251),)))),
    ("江苏省", 16, (("苏州市", 220, (("姑苏区", 1841), ("吴中区", 1844))),)),
    ("四川省", 23, (("成都市", 322, (("武侯区", 2658), ("成华区", 2659))),)),
    ("河南省", 12, (("郑州市", 149, (("金水区", 1246),)), ("洛阳市", 151, (("西工区", 1265),)))),
    ("北京", 2, (("北京市", 52, (("朝阳区", 500), ("海淀区", 501))),)),
    ("黑龙江省", 13, (("哈尔滨市", 166, (("南岗区", 1372),)),)),
)

SURNAMES: tuple[str, ...] = ("王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "郑", "孙", "冯", "蒋")
GIVEN_NAMES: tuple[str, ...] = ("秀兰", "建国", "丽娟", "志强", "雪梅", "海燕", "俊杰", "晓东", "玉珍", "国华", "佳怡", "子轩")
MOBILE_PREFIXES: tuple[str, ...] = ("130", "131", "135", "138", "139", "150", "152", "157", "166", "176", "183", "187", "191", "198")
ROADS: tuple[str, ...] = ("幸福路", "光明街", "和平大道", "东风路", "工业园区", "新村")

# (PDD logistics_id, tracking number prefix)
COURIERS: tuple[tuple[int, str], ...] = ((115, "YT"), (44, "SF"), (121, "75"), (132, "43"), (85, "JT"))

BUYER_MEMOS: tuple[str, ...] = ("", "", "", "", "尽快发货谢谢", "不要发韵达", "放快递柜")

# Hour-of-day weights (Asia/Shanghai) for order creation: quiet nights, lunch and evening peaks.
HOUR_WEIGHTS: tuple[int, ...] = (4, 2, 1, 1, 1, 1, 2, 3, 5, 6, 7, 8, 9, 7, 6, 6, 6, 6, 7, 9, 11, 12, 10, 6)
