"""Transfers (domain/transfers.py): the target a transfer needs, and the place a ticket takes in its new line."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hallops.domain.errors import InvalidInput
from hallops.domain.model import TicketStatus, TransferPlacement
from hallops.domain.transfers import STEP, TRANSFERABLE, TransferRequest, place, transfer_request

P = TransferPlacement
S = TicketStatus
NOW = 1_700_000_000.0


def test_the_statuses_a_ticket_may_be_transferred_from() -> None:
    assert TRANSFERABLE == frozenset({S.WAITING, S.CALLED, S.SERVING, S.PARKED})


def test_a_transfer_needs_a_queue_or_a_window() -> None:
    with pytest.raises(InvalidInput) as e:
        transfer_request({})
    assert e.value.code == "transfer_target_missing"
    with pytest.raises(InvalidInput):
        transfer_request({"queue": None, "window": None, "placement": "front"})


def test_the_target_and_placement_default_to_the_end() -> None:
    assert transfer_request({"queue": "B"}) == TransferRequest("B", None, P.END)
    assert transfer_request({"window": 7, "placement": None}) == TransferRequest(None, 7, P.END)
    assert transfer_request({"queue": 3, "window": 7, "placement": "front"}) == TransferRequest(3, 7, P.FRONT)
    assert transfer_request({"queue": "B", "placement": "issue_time"}).placement is P.ISSUE_TIME
    with pytest.raises(ValueError):
        transfer_request({"queue": "B", "placement": "middle"})


def test_issue_time_keeps_the_original_issue_time() -> None:
    assert place(P.ISSUE_TIME, now=NOW, issued_at=NOW - 600, boost=0, first=NOW - 900, last=NOW - 10) == NOW - 600


def test_front_stands_just_before_the_first_key() -> None:
    assert place(P.FRONT, now=NOW, issued_at=NOW - 60, boost=0, first=NOW - 900, last=NOW - 10) == NOW - 900 - STEP
    # A boosted ticket's sort_at carries its boost; its key (sort_at − boost) stands before the first, and
    # its sort_at is never later than now.
    assert place(P.FRONT, now=NOW, issued_at=NOW - 60, boost=3600, first=NOW - 900, last=NOW - 10) == NOW
    assert place(P.FRONT, now=NOW, issued_at=NOW - 60, boost=600, first=NOW - 900, last=NOW) == NOW - 300 - STEP


def test_front_of_an_empty_line_is_now() -> None:
    assert place(P.FRONT, now=NOW, issued_at=NOW - 60, boost=0, first=None, last=None) == NOW - STEP
    assert place(P.FRONT, now=NOW, issued_at=NOW - 60, boost=1800, first=None, last=None) == NOW - STEP


def test_end_stands_just_after_the_last_key_and_never_before_now() -> None:
    assert place(P.END, now=NOW, issued_at=NOW - 60, boost=0, first=NOW - 900, last=NOW - 10) == NOW
    assert place(P.END, now=NOW, issued_at=NOW - 60, boost=0, first=NOW - 900, last=NOW + 5) == NOW + 5 + STEP
    assert place(P.END, now=NOW, issued_at=NOW - 60, boost=0, first=None, last=None) == NOW + STEP


keys = st.floats(NOW - 86_400, NOW + 3_600, allow_nan=False)
boosts = st.sampled_from([0.0, 1800.0, 3600.0])


@given(first=keys, span=st.floats(0, 7200), boost=boosts, issued=keys)
def test_front_key_is_before_every_key_of_the_line_and_sort_at_never_after_now(
        first: float, span: float, boost: float, issued: float) -> None:
    got = place(P.FRONT, now=NOW, issued_at=issued, boost=boost, first=first, last=first + span)
    assert got - boost < first
    assert got <= NOW


@given(first=keys, span=st.floats(0, 7200), boost=boosts, issued=keys)
def test_end_key_is_after_every_key_of_the_line_and_sort_at_never_before_now(
        first: float, span: float, boost: float, issued: float) -> None:
    got = place(P.END, now=NOW, issued_at=issued, boost=boost, first=first, last=first + span)
    assert got - boost > first + span
    assert got >= NOW
