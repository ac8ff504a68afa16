"""The rules the patrol and finding use cases apply, as pure functions (hallops/domain/patrols.py): which
window a patrol may name, when a patrol may be checked, finished or cancelled, what a finding needs, each
step of a finding with who may take it, and what a photo may be. Expected answers are written out."""

from __future__ import annotations

import pytest

from hallops.domain.actors import Actor
from hallops.domain.errors import Conflict, DomainError, Forbidden, InvalidInput, UnsupportedMediaType
from hallops.domain.model import Role
from hallops.domain.patrols import (
    MAX_PHOTO_BYTES,
    CheckResult,
    FindingAction,
    FindingStatus,
    PatrolKind,
    PatrolStatus,
    PhotoStage,
    actor_name,
    check_cancel,
    check_checklist_codes,
    check_due,
    check_finding_changeable,
    check_finding_subject,
    check_finish,
    check_item_answer,
    check_patrol_open,
    check_patrol_window,
    check_photo,
    default_responsible,
    finding_step,
    image_type,
    may_see_finding,
    photo_stage,
    sniff_image,
)

F = FindingStatus
A = FindingAction


def code_of(exc: pytest.ExceptionInfo[DomainError]) -> str:
    return exc.value.code


# -- patrols ---------------------------------------------------------------------------------------------

def test_a_spot_check_needs_an_active_key_window() -> None:
    with pytest.raises(InvalidInput) as e:
        check_patrol_window(PatrolKind.SPOT, None, None)
    assert code_of(e) == "window_required"
    with pytest.raises(InvalidInput) as e:
        check_patrol_window(PatrolKind.SPOT, 7, None)
    assert code_of(e) == "window_not_found"
    with pytest.raises(InvalidInput) as e:
        check_patrol_window(PatrolKind.SPOT, 7, False)
    assert code_of(e) == "not_key_window"
    assert check_patrol_window(PatrolKind.SPOT, 7, True) is None


def test_a_full_patrol_names_no_window() -> None:
    assert check_patrol_window(PatrolKind.FULL, None, None) is None
    for key in (True, False, None):
        with pytest.raises(InvalidInput) as e:
            check_patrol_window(PatrolKind.FULL, 3, key)
        assert code_of(e) == "window_not_allowed"


def test_only_an_open_patrol_moves_on() -> None:
    assert check_patrol_open(PatrolStatus.OPEN) is None
    with pytest.raises(Conflict) as e:
        check_patrol_open(PatrolStatus.DONE)
    assert code_of(e) == "patrol_closed" and e.value.detail == {"status": "done"}
    assert e.value.message.startswith("巡查已完成")
    with pytest.raises(Conflict) as e:
        check_patrol_open(PatrolStatus.CANCELLED)
    assert e.value.detail == {"status": "cancelled"} and e.value.message.startswith("巡查已取消")


def test_an_item_answered_is_one_of_the_patrols_and_passes_only_without_a_finding() -> None:
    items = ["on_post", "hygiene"]
    with pytest.raises(InvalidInput) as e:
        check_item_answer(items, "signage", CheckResult.PASS, False)
    assert code_of(e) == "unknown_item"
    with pytest.raises(Conflict) as e:
        check_item_answer(items, "hygiene", CheckResult.PASS, True)
    assert code_of(e) == "item_has_finding"
    assert check_item_answer(items, "hygiene", CheckResult.FINDING, True) is None
    assert check_item_answer(items, "hygiene", CheckResult.PASS, False) is None


def test_a_patrol_finishes_with_no_item_left_and_names_those_left() -> None:
    items = ["on_post", "discipline", "hygiene"]
    assert check_finish(items, ["hygiene", "on_post", "discipline"]) is None
    with pytest.raises(Conflict) as e:
        check_finish(items, ["discipline"])
    assert code_of(e) == "items_unchecked" and e.value.detail == {"items": ["on_post", "hygiene"]}
    with pytest.raises(Conflict) as e:  # one left: the edge
        check_finish(items, ["on_post", "discipline"])
    assert e.value.detail == {"items": ["hygiene"]}


def test_a_patrol_with_a_finding_cannot_be_cancelled() -> None:
    assert check_cancel(0) is None
    with pytest.raises(Conflict) as e:
        check_cancel(1)
    assert code_of(e) == "patrol_has_findings"


def test_checklist_codes_are_unique_and_other_is_reserved() -> None:
    assert check_checklist_codes(["on_post", "self_service"]) is None
    with pytest.raises(InvalidInput) as e:
        check_checklist_codes(["on_post", "hygiene", "on_post"])
    assert code_of(e) == "duplicate_item"
    with pytest.raises(InvalidInput) as e:
        check_checklist_codes(["on_post", "other"])
    assert code_of(e) == "reserved_code"


# -- findings --------------------------------------------------------------------------------------------

def test_a_finding_names_a_window_a_clerk_or_an_area() -> None:
    with pytest.raises(InvalidInput) as e:
        check_finding_subject(None, None, "")
    assert code_of(e) == "subject_required"
    assert check_finding_subject(4, None, "") is None
    assert check_finding_subject(None, 12, "") is None
    assert check_finding_subject(None, None, "老年人接待区") is None


def test_who_fixes_a_finding_by_default() -> None:
    assert default_responsible(5, 6, 7) == 5
    assert default_responsible(None, 6, 7) == 6
    assert default_responsible(None, None, 7) == 7
    assert default_responsible(None, None, None) is None


def test_a_due_date_lies_after_now() -> None:
    now = 1_764_460_800.0
    with pytest.raises(InvalidInput) as e:
        check_due(now, now)
    assert code_of(e) == "due_in_past"
    with pytest.raises(InvalidInput):
        check_due(now - 0.001, now)
    assert check_due(now + 0.001, now) is None


def step(current: FindingStatus, action: FindingAction, *, supervisor: bool = True, user: int | None = 1,
         rectified_by: int | None = 2, note: str = "说明") -> FindingStatus:
    return finding_step(current, action, is_supervisor=supervisor, actor_user_id=user,
                        rectified_by_user_id=rectified_by, note=note)


def test_each_legal_step_of_a_finding() -> None:
    assert step(F.OPEN, A.START) is F.RECTIFYING
    assert step(F.REOPENED, A.START) is F.RECTIFYING
    assert step(F.OPEN, A.RECTIFY) is F.RECTIFIED
    assert step(F.RECTIFYING, A.RECTIFY) is F.RECTIFIED
    assert step(F.REOPENED, A.RECTIFY) is F.RECTIFIED
    assert step(F.RECTIFIED, A.VERIFY) is F.VERIFIED
    assert step(F.RECTIFIED, A.REOPEN) is F.REOPENED
    # a clerk begins and reports the fix, with no note needed to begin
    assert step(F.OPEN, A.START, supervisor=False, note="") is F.RECTIFYING
    assert step(F.RECTIFYING, A.RECTIFY, supervisor=False) is F.RECTIFIED


def test_illegal_steps_are_refused() -> None:
    for current, action in [(F.VERIFIED, A.REOPEN), (F.VERIFIED, A.START), (F.RECTIFIED, A.START),
                            (F.OPEN, A.VERIFY), (F.REOPENED, A.VERIFY), (F.RECTIFYING, A.REOPEN),
                            (F.RECTIFIED, A.RECTIFY), (F.VERIFIED, A.VERIFY)]:
        with pytest.raises(Conflict) as e:
            step(current, action)
        assert code_of(e) == "illegal_transition", (current, action)


def test_only_managers_verify_or_reopen() -> None:
    for action in (A.VERIFY, A.REOPEN):
        with pytest.raises(Forbidden) as e:
            step(F.RECTIFIED, action, supervisor=False)
        assert code_of(e) == "forbidden"


def test_nobody_verifies_their_own_rectification() -> None:
    with pytest.raises(Forbidden) as e:
        step(F.RECTIFIED, A.VERIFY, user=9, rectified_by=9)
    assert code_of(e) == "own_rectification"
    assert step(F.RECTIFIED, A.VERIFY, user=9, rectified_by=10) is F.VERIFIED
    # a token without a person (user None) is never "the same person"
    assert step(F.RECTIFIED, A.VERIFY, user=None, rectified_by=None) is F.VERIFIED
    # reopening one's own fix is allowed: it is no approval
    assert step(F.RECTIFIED, A.REOPEN, user=9, rectified_by=9) is F.REOPENED


def test_the_role_is_checked_before_the_transition_and_the_note_after() -> None:
    with pytest.raises(Forbidden):  # a clerk verifying an open finding: refused for the role first
        step(F.OPEN, A.VERIFY, supervisor=False)
    with pytest.raises(Conflict):  # an illegal move without a note: the move is what is wrong
        step(F.VERIFIED, A.REOPEN, note="")


def test_a_fix_and_a_reopening_say_why() -> None:
    for current, action in [(F.RECTIFYING, A.RECTIFY), (F.RECTIFIED, A.REOPEN)]:
        with pytest.raises(InvalidInput) as e:
            step(current, action, note="")
        assert code_of(e) == "note_required" and e.value.detail == {"field": "note"}
    assert step(F.RECTIFIED, A.VERIFY, note="") is F.VERIFIED
    assert step(F.RECTIFYING, A.RECTIFY, note="x") is F.RECTIFIED  # one character is enough


def test_a_verified_finding_is_no_longer_changed() -> None:
    with pytest.raises(Conflict) as e:
        check_finding_changeable(F.VERIFIED)
    assert code_of(e) == "finding_closed"
    for s in (F.OPEN, F.RECTIFYING, F.RECTIFIED, F.REOPENED):
        assert check_finding_changeable(s) is None


# -- photos ----------------------------------------------------------------------------------------------

def test_a_photos_stage_defaults_by_role() -> None:
    assert photo_stage(None, True) is PhotoStage.FOUND
    assert photo_stage("", True) is PhotoStage.FOUND
    assert photo_stage(None, False) is PhotoStage.RECTIFIED
    assert photo_stage("rectified", True) is PhotoStage.RECTIFIED
    assert photo_stage("found", False) is PhotoStage.FOUND  # asked for: refused later by check_photo
    with pytest.raises(InvalidInput) as e:
        photo_stage("after", True)
    assert code_of(e) == "bad_query" and e.value.detail == {"field": "stage"}


def test_clerks_add_photos_of_the_fix_to_open_findings_only() -> None:
    assert check_photo(F.OPEN, PhotoStage.FOUND, True) is None
    assert check_photo(F.RECTIFYING, PhotoStage.RECTIFIED, False) is None
    with pytest.raises(Forbidden) as e:
        check_photo(F.OPEN, PhotoStage.FOUND, False)
    assert code_of(e) == "forbidden"
    with pytest.raises(Conflict) as e:
        check_photo(F.VERIFIED, PhotoStage.RECTIFIED, True)
    assert code_of(e) == "finding_closed"


def test_an_image_is_told_by_its_first_bytes() -> None:
    assert sniff_image(b"\xff\xd8\xff\xe0" + b"\0" * 12) == "image/jpeg"
    assert sniff_image(b"\x89PNG\r\n\x1a\n" + b"\0" * 8) == "image/png"
    assert sniff_image(b"RIFF\0\0\0\0WEBPVP8 ") == "image/webp"
    assert sniff_image(b"RIFF\0\0\0\0WEB") is None  # 11 bytes: too short to be a WebP
    assert sniff_image(b"\xff\xd8") is None
    assert sniff_image(b"GIF89a") is None
    assert sniff_image(b"") is None
    assert image_type(b"\x89PNG\r\n\x1a\n") == "image/png"
    with pytest.raises(UnsupportedMediaType) as e:
        image_type(b"<html>")
    assert code_of(e) == "unsupported_media_type"


def test_a_photo_is_at_most_five_megabytes() -> None:
    assert MAX_PHOTO_BYTES == 5_242_880


def test_a_record_keeps_a_persons_name_or_the_tokens_label() -> None:
    assert actor_name(Actor(Role.MANAGER, user_id=3, display_name="王建华")) == "王建华"
    assert actor_name(Actor(Role.MANAGER, token_id=17)) == "manager token 17"
    assert actor_name(Actor(Role.ADMIN)) == "admin"


def sees(actor: Actor, window: int | None = None, window_clerk: int | None = None, clerk: int | None = None,
         responsible: int | None = None) -> bool:
    return may_see_finding(actor, window_id=window, window_clerk_user_id=window_clerk, clerk_user_id=clerk,
                           responsible_user_id=responsible)


def test_managers_and_admins_see_every_finding_of_their_hall() -> None:
    for role in (Role.MANAGER, Role.ADMIN):
        assert sees(Actor(role, user_id=1)) is True
        assert sees(Actor(role, user_id=1), window=5, window_clerk=2, clerk=3, responsible=4) is True


def test_a_signed_in_clerk_sees_what_is_about_their_window_them_or_given_them() -> None:
    me = Actor(Role.CLERK, user_id=7)
    assert sees(me, window=3, window_clerk=7) is True  # the window they are signed in to
    assert sees(me, window=3, window_clerk=8, clerk=7) is True  # about them, at another window
    assert sees(me, responsible=7) is True  # an area finding given them to fix
    assert sees(me, window=3, window_clerk=8, clerk=9, responsible=10) is False
    assert sees(me, window=3, window_clerk=None) is False  # a window nobody is signed in to
    assert sees(me) is False


def test_a_clerk_token_bound_to_a_window_sees_only_that_windows_findings() -> None:
    token = Actor(Role.CLERK, window_id=3, token_id=4)
    assert sees(token, window=3) is True
    assert sees(token, window=4) is False
    assert sees(token, window=None, responsible=None) is False
    bound_user = Actor(Role.CLERK, user_id=7, window_id=3)  # the binding decides, not the person
    assert sees(bound_user, window=4, clerk=7, responsible=7) is False


def test_a_clerk_without_a_user_sees_nothing_by_person() -> None:
    nobody = Actor(Role.CLERK)
    assert sees(nobody, window=3, window_clerk=None, clerk=None, responsible=None) is False
