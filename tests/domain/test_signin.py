"""The failed sign-in limit: 10 failures per key in 10 minutes; the 11th try waits for the oldest to age out."""

from __future__ import annotations

import pytest

from hallops.domain import signin
from hallops.domain.errors import TooManyRequests

LIMIT = signin.SignInLimit(failures=10, window=600.0)


def test_keys_are_the_address_and_the_username_in_lower_case() -> None:
    assert signin.keys("10.0.0.7", " Clerk3 ") == ["addr:10.0.0.7", "user:clerk3"]
    assert signin.keys(None, "a") == ["addr:?", "user:a"]


def test_nine_or_ten_failures_in_the_window() -> None:
    assert signin.wait_seconds([1000.0 + i for i in range(9)], 1100.0, LIMIT) == 0.0
    # Ten: the oldest (at 1000) leaves the window at 1600.
    assert signin.wait_seconds([1000.0 + i for i in range(10)], 1100.0, LIMIT) == 500.0


def test_failures_older_than_the_window_do_not_count() -> None:
    times = [1000.0 + i for i in range(10)]
    assert signin.wait_seconds(times, 1599.0, LIMIT) == 1.0  # the oldest is 599 s old: still counts
    assert signin.wait_seconds(times, 1600.0, LIMIT) == 0.0  # 600 s old: out


def test_check_refuses_with_the_longest_wait_of_any_key() -> None:
    signin.check({"addr:x": [1.0] * 9, "user:y": []}, 100.0, LIMIT)  # under the limit: no refusal
    with pytest.raises(TooManyRequests) as e:
        signin.check({"addr:x": [100.0] * 10, "user:y": [50.0] * 10}, 100.0, LIMIT)
    assert e.value.code == "too_many_attempts" and e.value.detail["retry_after"] == 600
