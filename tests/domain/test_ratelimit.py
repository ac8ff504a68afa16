"""Limits on phone tickets: the sliding hour, its edges, the refusals, and the signed device id."""

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hallops.domain.errors import TooManyRequests
from hallops.domain.ratelimit import (
    Limit,
    _mac,
    check,
    check_cancel,
    device_from_cookie,
    new_device_cookie,
    retry_after,
)

NOW = 1_000_000.0
HOUR = 3600.0
DEVICE_3 = Limit("device", 3)


def test_under_the_limit_one_more_is_allowed_now() -> None:
    assert retry_after([], NOW, DEVICE_3) == 0.0
    assert retry_after([NOW - 10, NOW - 5], NOW, DEVICE_3) == 0.0
    check([NOW - 10, NOW - 5], NOW, DEVICE_3)


def test_at_the_limit_the_oldest_must_leave_the_hour() -> None:
    # Three tickets in the hour: the next fits when the oldest is an hour old.
    assert retry_after([NOW - 3000, NOW - 20, NOW], NOW, DEVICE_3) == 600.0
    # More than the limit (a limit lowered since): the one that still counts is the limit-th newest.
    assert retry_after([NOW - 3000, NOW - 2000, NOW - 1000, NOW], NOW, Limit("device", 2)) == 2600.0
    assert retry_after([NOW - 3000, NOW - 2000, NOW - 1000, NOW], NOW, Limit("device", 1)) == 3600.0


def test_the_hour_is_open_at_its_start_and_closed_at_now() -> None:
    # Exactly an hour ago no longer counts; this very second does; a time after now is not counted.
    assert retry_after([NOW - HOUR, NOW - 20, NOW - 10], NOW, DEVICE_3) == 0.0
    assert retry_after([NOW - HOUR + 1, NOW - 20, NOW - 10], NOW, DEVICE_3) == 1.0
    assert retry_after([NOW, NOW, NOW], NOW, DEVICE_3) == HOUR
    assert retry_after([NOW + 1, NOW - 20, NOW - 10], NOW, DEVICE_3) == 0.0


def test_the_order_of_the_times_does_not_matter() -> None:
    assert retry_after([NOW, NOW - 3000, NOW - 20], NOW, DEVICE_3) == 600.0


@pytest.mark.parametrize("per_hour", [0, -1])
def test_a_limit_of_zero_turns_phone_tickets_off(per_hour: int) -> None:
    assert retry_after([], NOW, Limit("device", per_hour)) == math.inf
    with pytest.raises(TooManyRequests) as e:
        check([], NOW, Limit("device", per_hour))
    assert e.value.code == "mobile_disabled"
    assert e.value.message == "本大厅暂不支持手机取号，请到自助取号机取号 (phone tickets are off here; use a kiosk)"


def test_a_limit_of_one() -> None:
    check([], NOW, Limit("address", 1))
    with pytest.raises(TooManyRequests):
        check([NOW - 1], NOW, Limit("address", 1))


@pytest.mark.parametrize(("oldest_age", "minutes", "seconds"), [
    (HOUR - 1, 1, 1),      # one second to go: "1 minute", never "0 minutes"
    (HOUR - 60, 1, 60),
    (HOUR - 61, 2, 61),
    (HOUR - 600, 10, 600),
    (0.0, 60, 3600),
])
def test_the_refusal_says_when_to_come_back(oldest_age: float, minutes: int, seconds: int) -> None:
    with pytest.raises(TooManyRequests) as e:
        check([NOW - oldest_age, NOW, NOW], NOW, Limit("address", 3))
    assert e.value.code == "rate_limited"
    assert e.value.detail == {"retry_after": seconds, "limit": 3, "scope": "address"}
    assert e.value.message == (f"取号过于频繁，请 {minutes} 分钟后再试，或到自助取号机取号 "
                               f"(too many tickets from this address; try again in {minutes} min)")


def test_a_fractional_wait_is_rounded_up() -> None:
    with pytest.raises(TooManyRequests) as e:
        check([NOW - HOUR + 0.5], NOW, Limit("device", 1))
    assert e.value.detail["retry_after"] == 1


def test_two_cancels_an_hour() -> None:
    check_cancel([], NOW)
    check_cancel([NOW - 5], NOW)
    check_cancel([NOW - HOUR, NOW - 5], NOW)  # the first left the hour
    with pytest.raises(TooManyRequests) as e:
        check_cancel([NOW - HOUR + 61, NOW - 5], NOW)
    assert e.value.code == "cancel_limited"
    assert e.value.detail == {"retry_after": 61, "limit": 2}
    assert e.value.message == ("取消过于频繁，请 2 分钟后再试，或到服务台咨询 "
                               "(too many cancels from this phone; try again in 2 min)")
    with pytest.raises(TooManyRequests) as e:
        check_cancel([NOW - HOUR + 1, NOW], NOW)
    assert e.value.detail == {"retry_after": 1, "limit": 2}
    assert "请 1 分钟后再试" in e.value.message


@given(st.lists(st.floats(NOW - 2 * HOUR, NOW, allow_nan=False), max_size=12), st.integers(1, 6))
def test_waiting_the_time_told_is_enough_and_a_second_less_is_not(times: list[float], per_hour: int) -> None:
    limit = Limit("device", per_hour)
    wait = retry_after(times, NOW, limit)
    assert 0 <= wait <= HOUR
    assert retry_after(times, NOW + wait, limit) == 0
    if wait > 1:
        assert retry_after(times, NOW + wait - 1, limit) > 0


# -- the signed device id -------------------------------------------------------------------------------

KEY = b"secret"


def test_the_cookie_is_the_id_and_its_hmac() -> None:
    # A fixed vector: the id, a dot, then URL-safe base64 of HMAC-SHA256(key, "device:" + id) without
    # padding. Changing the format signs every phone out, so it is pinned here.
    cookie = "abcdefghijklmnopqrst.Lj1DO6UqWsmIOYzi3DSbwMFWPkeWlgo6BU7Ef-LNTm8"
    assert device_from_cookie(KEY, cookie) == "abcdefghijklmnopqrst"


def test_a_new_device_gets_a_24_character_id_that_its_cookie_names() -> None:
    device_id, cookie = new_device_cookie(KEY)
    assert re.fullmatch(r"[A-Za-z0-9_-]{24}", device_id)
    assert cookie.startswith(device_id + ".")
    assert device_from_cookie(KEY, cookie) == device_id
    assert new_device_cookie(KEY)[0] != device_id


@pytest.mark.parametrize("cookie", [
    None, "", "abcdefghijklmnopqrst", "abcdefghijklmnopqrst.",
    "abcdefghijklmnopqrst.Lj1DO6UqWsmIOYzi3DSbwMFWPkeWlgo6BU7Ef-LNTm9",   # one character of the mac changed
    "abcdefghijklmnopqrsu.Lj1DO6UqWsmIOYzi3DSbwMFWPkeWlgo6BU7Ef-LNTm8",   # the id changed
    "abcdefghijklmnopqrst.Lj1DO6UqWsmIOYzi3DSbwMFWPkeWlgo6BU7Ef-LNTm8=",  # padded
])
def test_a_cookie_the_server_did_not_sign_names_no_device(cookie: str | None) -> None:
    assert device_from_cookie(KEY, cookie) is None


def test_another_key_does_not_accept_the_cookie() -> None:
    _, cookie = new_device_cookie(KEY)
    assert device_from_cookie(b"other", cookie) is None


@pytest.mark.parametrize(("device_id", "accepted"), [
    ("a" * 19, False), ("a" * 20, True), ("a" * 64, True), ("a" * 65, False),
    ("aaaaaaaaaaaaaaaaaaa/", False), ("aaaaaaaaa_-aaaaaaaaZ9", True),
])
def test_a_device_id_is_20_to_64_url_safe_characters(device_id: str, accepted: bool) -> None:
    # Signed with the right key, so only the id's shape decides.
    cookie = f"{device_id}.{_mac(KEY, device_id)}"
    assert device_from_cookie(KEY, cookie) == (device_id if accepted else None)
