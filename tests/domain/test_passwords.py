"""The staff password rule: length just under and over each limit, common passwords, the username."""

from __future__ import annotations

import pytest

from hallops.domain.errors import InvalidInput
from hallops.domain.passwords import MAX_LENGTH, MIN_LENGTH, check_password, is_common


def code_of(password: str, username: str = "lihua") -> str | None:
    try:
        check_password(password, username=username)
    except InvalidInput as e:
        return e.code
    return None


def test_the_limits_are_ten_and_one_hundred_twenty_eight() -> None:
    assert (MIN_LENGTH, MAX_LENGTH) == (10, 128)


def test_length_just_under_and_at_the_minimum() -> None:
    assert code_of("k7#Qm2vX9") == "weak_password"      # 9 characters
    assert code_of("k7#Qm2vX9p") is None                 # 10


def test_length_at_and_just_over_the_maximum() -> None:
    assert code_of("k7#Qm2vX9p" * 12 + "abcdefgh") is None          # 128
    assert code_of("k7#Qm2vX9p" * 12 + "abcdefghi") == "password_too_long"  # 129


def test_chinese_characters_count_one_each() -> None:
    assert code_of("政务服务中心大厅取号九") is None      # 11 characters
    assert code_of("政务服务中心大厅取号") is None        # 10
    assert code_of("政务服务中心大厅取") == "weak_password"  # 9


@pytest.mark.parametrize("pw", ["password123", "1234567890", "qwertyuiop", "PASSWORD123", "woaini1314",
                                "a123456789", "iloveyou1314"])
def test_common_passwords_are_refused(pw: str) -> None:
    assert code_of(pw) == "common_password"


def test_the_username_inside_the_password_is_refused() -> None:
    assert code_of("lihua-2026-spring", username="lihua") == "common_password"
    assert code_of("zhangwei-2026-spring", username="lihua") is None


def test_a_single_repeated_character_is_refused() -> None:
    assert code_of("aaaaaaaaaaaa") == "common_password"
    assert code_of("abababababab") == "common_password"


def test_the_common_list_is_zxcvbns_and_ignores_case() -> None:
    assert is_common("Football") and is_common("football") and not is_common("k7#Qm2vX9p")
