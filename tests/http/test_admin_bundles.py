"""A bundle visit (一件事一次办, issue 13): one ticket routed from window to window, keeping its number."""

from __future__ import annotations

from tests.conftest import Hall


async def test_a_bundle_ticket_goes_window_to_window_with_its_number(hall: Hall) -> None:
    status, b = await hall.admin.post(f"/api/v1/halls/{hall.hall_id}/bundles", {
        "code": "newborn-visit", "name": "新生儿出生一件事", "queue": "R",
        "items": ["psb-birth-registration", "medins-employee-enrol", "hrss-card-replace"]})
    assert status == 201, b
    status, t = await hall.kiosk.post(f"/api/v1/bundles/{b['id']}/tickets", {})
    assert status == 201, t
    assert t["number"] == "R001" and t["bundle"] == {"id": b["id"], "code": "newborn-visit",
                                                      "name": "新生儿出生一件事", "stops": 4}
    route = [(8, "clerk1", "R", "B"), (5, "clerk2", "B", "H"), (17, "clerk3", "H", "G")]
    for number, clerk_name, here, onward in route:
        clerk = await hall.clerk_at(number, clerk_name)
        status, body = await clerk.post(f"/api/v1/windows/{hall.window_id(number)}/call-next")
        assert status == 200 and body["ticket"]["number"] == "R001", (number, body)
        await clerk.post(f"/api/v1/tickets/{t['id']}/start")
        status, body = await clerk.post(f"/api/v1/tickets/{t['id']}/finish")
        assert status == 200, body
        assert body["ticket"]["status"] == "waiting" and body["ticket"]["number"] == "R001"
        row = await hall.db.one("SELECT q.prefix FROM tickets t JOIN queues q ON q.id = t.queue_id WHERE t.id = ?",
                                (t["id"],))
        assert row[0] == onward, (here, onward)
        await clerk.post(f"/api/v1/windows/{hall.window_id(number)}/close")
    clerk = await hall.clerk_at(16, "clerk4")
    status, body = await clerk.post(f"/api/v1/windows/{hall.window_id(16)}/call-next")
    assert body["ticket"]["number"] == "R001"
    await clerk.post(f"/api/v1/tickets/{t['id']}/start")
    status, body = await clerk.post(f"/api/v1/tickets/{t['id']}/finish", {"items": ["hrss-card-replace"]})
    assert status == 200 and body["ticket"]["status"] == "done"
    types = [r[0] for r in await hall.db.all("SELECT type FROM events WHERE ticket_id = ? ORDER BY seq", (t["id"],))]
    assert types.count("ticket.transferred") == 3 and types[-1] == "ticket.finished"
    assert (await hall.db.one("SELECT step FROM bundle_tickets WHERE ticket_id = ?", (t["id"],)))[0] == 3


async def test_an_archived_or_unknown_bundle_issues_nothing(hall: Hall) -> None:
    status, b = await hall.admin.post(f"/api/v1/halls/{hall.hall_id}/bundles", {
        "code": "x", "name": "x", "items": ["psb-birth-registration", "hrss-card-replace"]})
    assert (await hall.admin.delete(f"/api/v1/bundles/{b['id']}"))[0] == 200
    status, body = await hall.kiosk.post(f"/api/v1/bundles/{b['id']}/tickets", {})
    assert status == 404 and body["error"] == "bundle_not_found"
    status, body = await hall.display.post(f"/api/v1/bundles/{b['id']}/tickets", {})
    assert status == 403
    assert (await hall.db.one("SELECT count(*) FROM tickets"))[0] == 0
