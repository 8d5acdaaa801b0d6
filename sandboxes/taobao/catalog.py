"""Static reference data for the Taobao trade generator: items, places, names, carriers.

Prices are yuan strings with two decimals, as TOP sends them. Item ids (``num_iid``) have the 12-digit
shape of real Taobao items (e.g. 559884639463 in the fact sheet's real response); sku ids are strings.
Region names are real Chinese divisions; 济源市 is a county-level city that TOP puts in
``receiver_district`` with an empty ``receiver_city`` (fact sheet §5 quirk).
"""

from __future__ import annotations

# (title, num_iid, cid, [(sku_id, sku_properties_name, price yuan, outer_sku_id)])
ITEMS: tuple[tuple[str, int, int, tuple[tuple[str, str, str, str], ...]], ...] = (
    ("发动机停机断油电磁阀", 559884639463, 50021631, (("3951738201842", "规格:12V", "160.00", "EV-12"), ("3951738201843", "规格:24V", "168.00", "EV-24"))),
    ("西湖龙井明前特级 250g", 620193347765, 50013084, (("4460183920011", "净含量:250g", "298.00", "LJ-250"),)),
    ("纯棉短袖T恤", 598812203746, 50000436, (
        ("4302276601001", "颜色分类:白色;尺码:M", "59.00", "TS-W-M"),
        ("4302276601002", "颜色分类:白色;尺码:L", "59.00", "TS-W-L"),
        ("4302276601003", "颜色分类:藏青;尺码:XL", "69.90", "TS-N-XL"),
    )),
    ("不锈钢保温杯 500ml", 612004487719, 50016348, (("4511201987001", "颜色分类:雾霾蓝", "89.00", "CUP-BL"), ("4511201987002", "颜色分类:奶油白", "89.00", "CUP-WH"))),
    ("降噪蓝牙耳机", 635518820194, 50005050, (("4781938810001", "颜色分类:黑色", "1299.00", "EAR-B"),)),
    ("手工红糖 400g", 578820093412, 50050359, (("", "", "29.90", "SUGAR-400"),)),  # an item without skus
    ("儿童绘本 10册套装", 650127749120, 50010485, (("4990031128843", "版本:精装", "128.00", "BOOK-HC"), ("4990031128844", "版本:平装", "88.00", "BOOK-PB"))),
    ("瑜伽垫 加厚10mm", 620033918874, 50019780, (("4620033918201", "颜色分类:紫色", "69.00", "YOGA-P"),)),
    ("阿克苏冰糖心苹果 5kg", 671120493884, 50008075, (("4711204938801", "规格:中果", "49.90", "APPLE-5M"), ("4711204938802", "规格:大果", "69.90", "APPLE-5L"))),
    ("补水保湿面膜 20片", 603300421987, 50011977, (("4603300421001", "规格:20片", "99.00", "MASK-20"),)),
)

SHOP_NICKS: tuple[str, ...] = ("山野茶舍", "小鹿家居旗舰店", "果园直发", "书香童年", "悦动运动馆", "东方好物")

# (province, [(city, [district, ...])]); an empty city marks a county-level city (see module docstring).
PLACES: tuple[tuple[str, tuple[tuple[str, tuple[str, ...]], ...]], ...] = (
    ("浙江省", (("杭州市", ("西湖区", "余杭区")), ("宁波市", ("鄞州区",)))),
    ("广东省", (("广州市", ("天河区", "越秀区")), ("深圳市", ("南山区", "福田区")))),
    ("江苏省", (("南京市", ("鼓楼区", "玄武区")), ("苏州市", ("姑苏区",)))),
    ("北京", (("北京市", ("朝阳区", "海淀区")),)),
    ("上海", (("上海市", ("浦东新区", "徐汇区")),)),
    ("四川省", (("成都市", ("武侯区", "锦江区")),)),
    ("河南省", (("郑州市", ("金水区",)), ("", ("济源市",)))),
)
TOWNS: tuple[str, ...] = ("城关街道", "新华街道", "东湖街道", "南苑街道")
ROADS: tuple[str, ...] = ("人民路", "中山路", "建设路", "解放路", "文化路", "学院路", "滨江路", "新华路")

SURNAMES: tuple[str, ...] = ("张", "王", "李", "赵", "刘", "陈", "杨", "黄", "周", "吴", "徐", "孙", "马", "朱", "胡", "郭")
GIVEN_NAMES: tuple[str, ...] = ("伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "秀英", "子涵")
MOBILE_PREFIXES: tuple[str, ...] = ("138", "139", "136", "137", "150", "151", "158", "159", "186", "187", "188", "135", "177", "180", "189")

# (display name, tracking number prefix)
CARRIERS: tuple[tuple[str, str], ...] = (("顺丰速运", "SF"), ("中通快递", "78"), ("圆通速递", "YT"), ("韵达快递", "43"), ("申通快递", "77"))

BUYER_MESSAGES: tuple[str, ...] = ("", "", "", "请尽快发货", "送人的，不要放价格单", "周末送货")

# Hour-of-day weights (Beijing) for trade creation: quiet nights, evening peak.
HOUR_WEIGHTS: tuple[int, ...] = (3, 2, 1, 1, 1, 1, 2, 3, 5, 6, 7, 7, 6, 6, 6, 6, 6, 6, 7, 8, 10, 11, 9, 5)
