"""What a manager or clerk reads when a patrol, a finding or a photo is refused: code, words and field."""

from __future__ import annotations

import pytest

from hallops.domain.errors import Conflict, DomainError, Forbidden, InvalidInput, UnsupportedMediaType
from hallops.domain.patrols import (
    CheckResult,
    FindingAction,
    FindingStatus,
    PatrolKind,
    PhotoStage,
    check_cancel,
    check_checklist_codes,
    check_due,
    check_finding_changeable,
    check_finding_subject,
    check_item_answer,
    check_patrol_window,
    check_photo,
    finding_step,
    image_type,
    photo_stage,
    sniff_image,
)

F = FindingStatus


def refusal(call: object, *args: object, **kw: object) -> DomainError:
    with pytest.raises(DomainError) as e:
        call(*args, **kw)  # type: ignore[operator]
    return e.value


def test_a_spot_check_is_of_one_key_window_and_a_full_patrol_of_none() -> None:
    check_patrol_window(PatrolKind.SPOT, 3, True)
    check_patrol_window(PatrolKind.FULL, None, None)
    cases = [
        ((PatrolKind.SPOT, None, None), "window_required", "重点窗口抽查须选择窗口 (a spot check needs a window)"),
        ((PatrolKind.SPOT, 3, None), "window_not_found", "窗口不存在 (no window 3)"),
        ((PatrolKind.SPOT, 3, False), "not_key_window", "只能抽查重点窗口 (spot checks are for key windows)"),
        ((PatrolKind.FULL, 3, True), "window_not_allowed",
         "全面巡查不针对单个窗口 (a full patrol covers the whole hall)"),
    ]
    for args, code, message in cases:
        e = refusal(check_patrol_window, *args)
        assert isinstance(e, InvalidInput)
        assert (e.code, e.message, e.detail) == (code, message, {"field": "window"})


def test_an_item_of_the_checklist_and_no_pass_over_a_finding() -> None:
    check_item_answer(["a", "b"], "a", CheckResult.PASS, False)
    check_item_answer(["a", "b"], "a", CheckResult.FINDING, True)
    e = refusal(check_item_answer, ["a", "b"], "z", CheckResult.PASS, False)
    assert (e.code, e.message, e.detail) == ("unknown_item", "检查项不存在 (no checklist item 'z')", {"field": "item"})
    e = refusal(check_item_answer, ["a", "b"], "a", CheckResult.PASS, True)
    assert isinstance(e, Conflict)
    assert (e.code, e.message) == ("item_has_finding", "该项已记录问题，不能标为合格 (this item already has a finding)")


def test_a_patrol_with_findings_is_finished_not_cancelled() -> None:
    check_cancel(0)
    e = refusal(check_cancel, 1)
    assert (e.code, e.message) == ("patrol_has_findings",
                                   "巡查已记录问题，请完成巡查 (the patrol has findings; finish it)")


def test_checklist_codes_are_unique_and_other_is_reserved() -> None:
    check_checklist_codes(["a", "b"])
    e = refusal(check_checklist_codes, ["a", "a"])
    assert (e.code, e.message) == ("duplicate_item", "检查项编码重复 (checklist codes must be unique)")
    e = refusal(check_checklist_codes, ["a", "other"])
    assert (e.code, e.message) == ("reserved_code", "“other” 为保留编码 (“other” is reserved)")


def test_a_finding_names_a_window_a_clerk_or_an_area() -> None:
    check_finding_subject(3, None, "")
    check_finding_subject(None, 7, "")
    check_finding_subject(None, None, "等候区")
    e = refusal(check_finding_subject, None, None, "")
    assert (e.code, e.message, e.detail) == ("subject_required",
                                             "请指明窗口、人员或区域 (name a window, a clerk or an area)",
                                             {"field": "window"})


def test_a_due_date_in_the_future() -> None:
    check_due(1001.0, 1000.0)
    for due in (1000.0, 999.0):
        e = refusal(check_due, due, 1000.0)
        assert (e.code, e.detail) == ("due_in_past", {"field": "due_at"})
        assert e.message == "整改期限须晚于现在 (the due date must be in the future)"


def test_finding_steps_only_managers_verify_and_a_fix_says_what_was_done() -> None:
    step = dict(actor_user_id=2, rectified_by_user_id=7, note="")
    assert finding_step(F.RECTIFIED, FindingAction.VERIFY, is_supervisor=True, **step) is F.VERIFIED
    e = refusal(finding_step, F.RECTIFIED, FindingAction.REOPEN, is_supervisor=False, **step)
    assert isinstance(e, Forbidden)
    assert (e.code, e.message) == ("forbidden", "只有管理人员可以验收或退回 (only managers verify or reopen)")
    e = refusal(finding_step, F.RECTIFYING, FindingAction.RECTIFY, is_supervisor=False, **step)
    assert (e.code, e.message, e.detail) == ("note_required", "请填写说明 (say what was done, or why it is reopened)",
                                             {"field": "note"})


def test_a_verified_finding_is_closed() -> None:
    check_finding_changeable(F.RECTIFIED)
    e = refusal(check_finding_changeable, F.VERIFIED)
    assert (e.code, e.message) == ("finding_closed", "问题已验收，不能修改 (the finding is verified)")


def test_photo_stages_and_who_adds_which() -> None:
    assert photo_stage(None, True) is PhotoStage.FOUND and photo_stage("", False) is PhotoStage.RECTIFIED
    e = refusal(photo_stage, "later", True)
    assert (e.code, e.message, e.detail) == ("bad_query",
                                             "stage 应为 found 或 rectified (stage must be found or rectified)",
                                             {"field": "stage"})
    check_photo(F.OPEN, PhotoStage.RECTIFIED, False)
    e = refusal(check_photo, F.VERIFIED, PhotoStage.RECTIFIED, True)
    assert (e.code, e.message) == ("finding_closed", "问题已验收，不能再添加照片 (the finding is verified)")
    e = refusal(check_photo, F.OPEN, PhotoStage.FOUND, False)
    assert (e.code, e.message) == ("forbidden", "工作人员只能上传整改照片 (clerks add photos of the fix)")


@pytest.mark.parametrize(("head", "mime"), [
    (b"\xff\xd8\xff\xe0", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"RIFF\x00\x00\x00\x00WEBP", "image/webp"),     # exactly 12 bytes
    (b"RIFF\x00\x00\x00\x00WEB", None),               # 11
    (b"RIFX\x00\x00\x00\x00WEBP", None),
    (b"RIFF\x00\x00\x00\x00WAVE", None),
    (b"GIF89a", None),
])
def test_an_image_is_known_by_its_first_bytes(head: bytes, mime: str | None) -> None:
    assert sniff_image(head) == mime


def test_only_jpeg_png_and_webp_photos() -> None:
    assert image_type(b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"\x00" * 100) == "image/webp"
    e = refusal(image_type, b"GIF89a" + b"\x00" * 100)
    assert isinstance(e, UnsupportedMediaType)
    assert (e.code, e.message) == ("unsupported_media_type",
                                   "照片须为 JPEG、PNG 或 WebP 图像 (a photo must be a JPEG, PNG or WebP image)")
