"""A window's rating pad on the live websocket: its own view as the snapshot, then only its own window's events
(a visit finished, a rating given, the window opened or closed), live and in the catch-up; nothing of the rest
of the hall, nothing of another hall, nothing at all for a pad token bound to no window."""

from __future__ import annotations

import aiohttp
import pytest

from hallops.domain.model import Role
from tests.conftest import Api, Hall
from tests.events.test_live import Screen, connect, current_seq
from tests.http.test_ratings import BAD, GOOD, pad_for, served


async def pad_token(hall: Hall, window: int) -> str:
    pad = await pad_for(hall, window)
    assert pad.token is not None
    return pad.token


async def test_a_pad_starts_from_its_own_view_not_the_halls_state(hall: Hall) -> None:
    clerk = await hall.clerk_at(1)
    t = await served(hall, clerk)
    screen = await connect(hall, token=await pad_token(hall, 1))
    hello = await screen.next()
    assert (hello["type"], hello["scope"], hello["hall_id"]) == ("hello", "window", hall.hall_id)
    snap = await screen.next()
    assert snap["type"] == "snapshot" and snap["seq"] == hello["seq"] == await current_seq(hall)
    view = snap["state"]
    assert view["window"]["number"] == 1 and view["offer"]["ticket"]["number"] == t["number"]
    assert [lv["key"] for lv in view["levels"]] == ["very_satisfied", "satisfied", "basic", "dissatisfied",
                                                    "very_dissatisfied"]
    assert "queues" not in view and "windows" not in view and "hall" not in view  # not the hall's state
    await screen.ws.close()


async def test_a_pad_hears_only_its_own_windows_visits_and_ratings(hall: Hall) -> None:
    here, there = await hall.clerk_at(1), await hall.clerk_at(2, "clerk2")
    screen = await connect(hall, token=await pad_token(hall, 1))
    await screen.next(), await screen.next()
    elsewhere = await served(hall, there, window=2)  # issued, called, started, finished at window 2: not news
    await hall.anon.post(f"/api/v1/ticket-status/{elsewhere['token']}/rating", BAD)
    await hall.manager.post(f"/api/v1/windows/{hall.window_id(3)}/open")
    mine = await served(hall, here, window=1)  # issued, called, started: not news; finished: news
    ev = await screen.next_event()
    assert ev["type"] == "ticket.finished" and ev["payload"]["ticket"]["number"] == mine["number"]
    status, _ = await hall.anon.post(f"/api/v1/ticket-status/{mine['token']}/rating", GOOD)  # rated on the phone
    assert status == 201
    ev = await screen.next_event()
    assert ev["type"] == "rating.given" and ev["payload"]["rating"]["ticket_number"] == mine["number"]
    await here.post(f"/api/v1/windows/{hall.window_id(1)}/close")
    ev = await screen.next_event()
    assert ev["type"] == "window.closed" and ev["payload"]["window"]["number"] == 1
    with pytest.raises(TimeoutError):
        await screen.next_event(within=0.5)
    await screen.ws.close()


async def test_a_pad_resumes_after_a_drop_with_its_windows_events_only(hall: Hall) -> None:
    here, there = await hall.clerk_at(1), await hall.clerk_at(2, "clerk2")
    token = await pad_token(hall, 1)
    seq0 = await current_seq(hall)
    first = await served(hall, here, window=1)
    await served(hall, there, window=2)
    second = await served(hall, here, window=1)
    screen = await connect(hall, token=token, after=seq0)  # as js/live.js resumes: after the last seq it saw
    hello = await screen.next()
    assert hello["scope"] == "window" and hello["seq"] == await current_seq(hall)
    replayed = [await screen.next_event(), await screen.next_event()]
    assert [(e["type"], e["payload"]["ticket"]["number"], e["replay"]) for e in replayed] == [
        ("ticket.finished", first["number"], True), ("ticket.finished", second["number"], True)]
    assert replayed[0]["seq"] < replayed[1]["seq"]  # in order; the gaps are the hall's other events
    with pytest.raises(TimeoutError):
        await screen.next_event(within=0.3)
    await screen.ws.close()


async def test_a_pad_token_follows_nothing_beyond_its_window(hall: Hall) -> None:
    other = dict(hall.layout, hall=dict(hall.layout["hall"], code="other-hall", name="另一大厅"), users=[])
    await hall.ports.layout.load_layout(other)
    token = await pad_token(hall, 1)
    with pytest.raises(aiohttp.WSServerHandshakeError) as e:  # another hall does not exist for it
        await connect(hall, token=token, hall_ref="other-hall")
    assert e.value.status == 404
    loose, _ = await hall.ports.accounts.create_token(role=Role.RATING_PAD, hall_id=hall.hall_id, window_id=None,
                                                      label="pad-loose")
    with pytest.raises(aiohttp.WSServerHandshakeError) as e:  # bound to no window: it follows nothing
        await connect(hall, token=loose)
    assert e.value.status == 403
    # Neither the event log nor anything else over HTTP (the rule the live stream keeps).
    pad = Api(hall.client, token=token)
    assert (await pad.get(f"/api/v1/halls/{hall.hall_id}/events?after=0"))[0] == 403
    assert (await pad.get(f"/api/v1/halls/{hall.hall_id}/followups"))[0] == 403
    # A screen of the same hall still follows all of it.
    display = await connect(hall)
    hello = await display.next()
    assert hello["scope"] == "hall"
    await display.ws.close()


async def test_revoking_a_pad_token_closes_its_live_socket(hall: Hall) -> None:
    status, made = await hall.admin.post("/api/v1/tokens", {"role": "rating_pad", "hall": hall.hall_id,
                                                            "window": hall.window_id(1), "label": "pad-w1"})
    assert status == 201, made
    screen: Screen = await connect(hall, token=made["token"])
    assert (await screen.next())["scope"] == "window"
    token_id = made.get("token_id", made.get("id"))
    assert (await hall.admin.delete(f"/api/v1/tokens/{token_id}"))[0] in (200, 204)
    msg = await screen.ws.receive(timeout=8)
    while msg.type is aiohttp.WSMsgType.TEXT:  # the snapshot or a tick may come first
        msg = await screen.ws.receive(timeout=8)
    assert screen.ws.close_code == 4401
