"""The item-list import's rules: header mapping, row checks with the file's own lines, the plan, the limits."""

from __future__ import annotations

import pytest

from hallops.domain.errors import InvalidInput
from hallops.domain.item_import import MAX_ROWS, check_rows, map_header, plan

DEPTS = {"psb": "psb", "公安分局": "psb", "tax": "tax"}
QUEUES = ["A", "B"]


def rows(*cells: dict[str, str], start: int = 2) -> list[tuple[int, dict[str, str]]]:
    return [(start + i, c) for i, c in enumerate(cells)]


def test_chinese_and_english_headers_map_to_fields() -> None:
    assert map_header(["事项编码", "事项名称", "部门", "业务类型", "备注"]) == [
        "standard_code", "name", "department", "queue", None]
    assert map_header(["standard_code", "Name", "queue"]) == ["standard_code", "name", "queue"]


def test_a_header_without_code_or_name_is_refused() -> None:
    with pytest.raises(InvalidInput) as e:
        map_header(["名称", "部门"])
    assert e.value.code == "csv_columns" and e.value.detail["missing"] == ["standard_code"]


def test_each_bad_row_is_named_by_its_line_and_field() -> None:
    good, errors = check_rows(rows(
        {"standard_code": "11500112MB1503113D4000117001", "name": "户口迁移", "department": "公安分局", "queue": "B"},
        {"standard_code": "", "name": "无编码"},
        {"standard_code": "11500112MB1503113D4000117002", "name": "", "department": "nope"},
        {"standard_code": "11500112MB1503113D4000117001", "name": "重复"},
        {"standard_code": "1150 bad", "name": "坏编码", "queue": "Z"},
    ), departments=DEPTS, queues=QUEUES)
    assert [r.line for r in good] == [2]
    assert good[0].department == "psb" and good[0].code == "11500112mb1503113d4000117001"
    assert [(e.line, e.field, e.code) for e in errors] == [
        (3, "standard_code", "import_invalid"),
        (4, "name", "import_invalid"), (4, "department", "department_not_found"),
        (5, "standard_code", "duplicate_code"),
        (6, "standard_code", "bad_code"), (6, "queue", "queue_not_found"),
    ]


def test_rows_at_the_limit_pass_and_one_more_is_refused() -> None:
    many = [(i + 2, {"standard_code": f"SC{i:06d}", "name": f"事项{i}"}) for i in range(MAX_ROWS)]
    good, errors = check_rows(many, departments={}, queues=[])
    assert len(good) == 10_000 and not errors
    with pytest.raises(InvalidInput) as e:
        check_rows([*many, (MAX_ROWS + 2, {"standard_code": "SCX", "name": "x"})], departments={}, queues=[])
    assert e.value.code == "import_too_large"


def test_the_plan_adds_changes_and_leaves_alone() -> None:
    good, errors = check_rows(rows(
        {"standard_code": "SC0001", "name": "新名称"},
        {"standard_code": "SC0002", "name": "不变", "department": "tax"},
        {"standard_code": "SC0003", "name": "新增"},
        {"standard_code": "SC0004", "code": "old-code", "name": "旧事项"},
    ), departments=DEPTS, queues=QUEUES)
    existing = [
        {"id": 1, "code": "sc0001", "standard_code": "SC0001", "name": "旧名称", "name_en": "", "department": None,
         "queue": None},
        {"id": 2, "code": "sc0002", "standard_code": "SC0002", "name": "不变", "name_en": "", "department": "tax",
         "queue": "A"},
        {"id": 3, "code": "old-code", "standard_code": "", "name": "旧事项", "name_en": "", "department": None,
         "queue": None},
    ]
    p = plan(good, errors, existing, 4)
    assert [r.standard_code for r in p.add] == ["SC0003"]
    assert [(r.standard_code, b, a) for r, b, a in p.change] == [
        ("SC0001", {"name": "旧名称", "id": 1}, {"name": "新名称"}),
        ("SC0004", {"standard_code": "", "id": 3}, {"standard_code": "SC0004"}),  # matched by its local code
    ]
    assert p.unchanged == 1  # a blank queue cell keeps the item's queue
    assert p.summary()["changed"][0]["before"] == {"name": "旧名称"}
