"""Search over the demo hall's 98 service items: the expected first result of what citizens type."""

from __future__ import annotations

import pytest

from hallops.cli import demo_layout
from hallops.domain import search as s


@pytest.fixture(scope="module")
def items() -> list[s.Entry]:
    layout = demo_layout()
    for q in layout["queues"]:
        q.setdefault("active", True)
    for i in layout["service_items"]:
        i.setdefault("active", True)
    assert len(layout["service_items"]) == 98
    return s.entries(layout)


# (what the citizen types, the first item, its queue)
FIRST = [
    ("营业执照", "营业执照设立登记", "D"),
    ("yyzz", "营业执照设立登记", "D"),
    ("YYZZ", "营业执照设立登记", "D"),
    ("yingye", "营业执照设立登记", "D"),
    ("business licence", "营业执照设立登记", "D"),   # the placeholder's own example
    ("business license", "营业执照设立登记", "D"),   # American spelling
    ("sb", "社保卡补换", "G"),                        # 社保: the department's queue G before the integrated A
    ("社保", "社保卡补换", "G"),
    ("shebao", "社保卡补换", "G"),
    ("社保卡申领", "社保卡申领", "A"),                 # an exact name wins whatever the queue
    ("低保", "最低生活保障申请", "A"),
    ("房产证", "不动产权证书补证、换证", "J"),
    ("护照", "出入境证件办理（护照、港澳台通行证）", "B"),
    ("passport", "出入境证件办理（护照、港澳台通行证）", "B"),
    ("gjj", "住房公积金提取", "L"),
    ("公积金", "住房公积金提取", "L"),
    ("jiehun", "结婚登记", "C"),
    ("结婚", "结婚登记", "C"),
    ("sfz", "居民身份证首次申领", "B"),
    ("id card", "居民身份证首次申领", "B"),
    ("户口", "户口迁移", "B"),
    ("开公司", "营业执照设立登记", "D"),
    ("过户", "不动产转移登记（二手房过户）", "J"),
    ("个税", "个人所得税综合所得年度汇算", "F"),
    ("restaurant", "开餐馆一件事", "Q"),
    ("新生儿", "新生儿出生一件事（出生证明、落户、医保、社保卡）", "R"),
    ("异地就医", "异地就医备案（川渝通办）", "P"),
    ("无犯罪", "无犯罪记录证明", "A"),
    ("医保", "医保关系转移接续", "H"),
    ("（营业执照）", "营业执照设立登记", "D"),           # full-width brackets are ignored
]


@pytest.mark.parametrize(("query", "item", "queue"), FIRST)
def test_the_first_result_of_what_citizens_type(items: list[s.Entry], query: str, item: str, queue: str) -> None:
    hits = s.search(query, items)
    assert hits, query
    assert (hits[0].entry.item, hits[0].entry.queue) == (item, queue)


def test_nothing_is_found_for_nonsense_or_blank(items: list[s.Entry]) -> None:
    assert s.search("zzzzqqq", items) == []
    assert s.search("   ", items) == []
    assert s.search("", items) == []


def test_the_hall_may_put_the_integrated_queue_first(items: list[s.Entry]) -> None:
    assert s.search("sb", items)[0].entry.queue == "G"
    first = s.search("社保卡", items, integrated_first=True)[0].entry
    assert (first.item, first.queue) == ("社保卡申领", "A")


def test_results_are_limited(items: list[s.Entry]) -> None:
    assert len(s.search("登记", items)) == s.DEFAULT_LIMIT
    assert len(s.search("登记", items, limit=20)) == 20


def test_pinyin_keys_of_a_name() -> None:
    assert s.pinyin_keys("社保卡申领") == ("shebaokashenling", "sbksl")
    assert s.pinyin_keys("ABC") == ("", "")
