"""The district's network of centres (issue 10): the hall tree and roles scoped to a part of it.

A district manager acts on every centre; a street manager on its street centre and its communities; a clerk and
every device on their own hall. The walk at the end calls every route of the server with actors of every scope
on another part of the tree's objects: none may reach them.
"""

from __future__ import annotations

import re
from typing import Any

from hallops.domain.model import Role
from tests.conftest import Hall
from tests.district import Centre, token


async def test_centres_hang_under_the_level_above(hall: Hall, tree: dict[str, Centre]) -> None:
    bad = [({"code": "c1", "name": "社区", "level": "community", "parent": "liangjiang"}, "bad_parent"),
           ({"code": "s1", "name": "街道", "level": "street", "parent": "renhe-wanshou"}, "bad_parent"),
           ({"code": "s2", "name": "街道", "level": "street"}, "bad_parent"),
           ({"code": "d2", "name": "区", "level": "district", "parent": "renhe"}, "bad_parent"),
           ({"code": "c2", "name": "社区", "level": "community", "parent": "nowhere"}, "hall_not_found")]
    for body, code in bad:
        status, out = await hall.admin.post("/api/v1/halls", body)
        assert (status, out["error"]) == (422, code), body
    assert [h["code"] for h in (await hall.admin.get("/api/v1/halls"))[1]["halls"]] == [
        "liangjiang", "renhe", "lijia", "longxing", "renhe-wanshou", "lijia-bailin", "longxing-longsheng"]
    # A community moves to another street; a street cannot move under a community; nothing moved by a refusal.
    wanshou = tree["renhe-wanshou"].id
    status, out = await hall.admin.patch(f"/api/v1/halls/{wanshou}", {"parent": "lijia"})
    assert status == 200 and out["parent_id"] == tree["lijia"].id
    status, out = await hall.admin.patch(f"/api/v1/halls/{tree['renhe'].id}", {"parent": "lijia-bailin"})
    assert (status, out["error"]) == (422, "bad_parent")
    # A street with communities under it cannot become a community itself.
    status, out = await hall.admin.patch(f"/api/v1/halls/{tree['lijia'].id}",
                                         {"level": "community", "parent": "longxing"})
    assert (status, out["error"]) == (422, "bad_parent")
    halls = {h["code"]: h for h in (await hall.admin.get("/api/v1/halls"))[1]["halls"]}
    assert (halls["renhe"]["parent_id"], halls["lijia"]["level"]) == (hall.hall_id, "street")


async def test_a_manager_sees_their_centre_and_those_below_it(hall: Hall, tree: dict[str, Centre]) -> None:
    district = await token(hall, Role.MANAGER, hall.hall_id)
    renhe = await token(hall, Role.MANAGER, tree["renhe"].id)
    wanshou_clerk = await token(hall, Role.CLERK, tree["renhe-wanshou"].id, tree["renhe-wanshou"].window)
    wanshou_kiosk = await token(hall, Role.KIOSK, tree["renhe-wanshou"].id)
    codes = lambda body: [h["code"] for h in body["halls"]]  # noqa: E731
    assert len(codes((await district.get("/api/v1/halls"))[1])) == 7
    assert codes((await renhe.get("/api/v1/halls"))[1]) == ["renhe", "renhe-wanshou"]
    assert codes((await wanshou_clerk.get("/api/v1/halls"))[1]) == ["renhe-wanshou"]
    for api, code, status in [(renhe, "renhe-wanshou", 200), (renhe, "lijia-bailin", 404), (renhe, "lijia", 404),
                              (renhe, "liangjiang", 404), (district, "lijia-bailin", 200),
                              (wanshou_clerk, "liangjiang", 404), (wanshou_clerk, "renhe", 404),
                              (wanshou_kiosk, "renhe", 404), (wanshou_kiosk, "renhe-wanshou", 200)]:
        assert (await api.get(f"/api/v1/halls/{code}/state"))[0] == status, (code, status)
    # A street manager issues at its community and not at another street's.
    assert (await renhe.post("/api/v1/tickets", {"queue": "A", "hall": "renhe-wanshou"}))[0] == 201
    assert (await renhe.post("/api/v1/tickets", {"queue": "A", "hall": "lijia-bailin"}))[0] == 404
    # Its admin may add a community below it, not beside it.
    renhe_admin = await token(hall, Role.ADMIN, tree["renhe"].id)
    assert (await renhe_admin.post("/api/v1/halls", {"code": "renhe-new", "name": "新社区", "level": "community",
                                                     "parent": "renhe"}))[0] == 201
    assert (await renhe_admin.post("/api/v1/halls", {"code": "lijia-new", "name": "新社区", "level": "community",
                                                     "parent": "lijia"}))[0] in (403, 404)
    assert (await renhe_admin.patch(f"/api/v1/halls/{tree['renhe'].id}", {"parent": "liangjiang"}))[0] == 403


# -- the walk ----------------------------------------------------------------------------------------------------

# Path parameters the walk fills with an object of the target centre; the rest are not objects of a hall.
NOT_HALL_OBJECTS = {"token", "number", "section"}


async def objects_of(hall: Hall, c: Centre) -> dict[str, Any]:
    """One object of each kind in centre `c`, made by the unbound admin (the district's own is the fixture's)."""
    admin = hall.admin
    out: dict[str, Any] = {"hall": c.id, "window_id": c.window}
    status, t = await admin.post("/api/v1/tickets", {"queue": c.queue, "hall": c.id})
    assert status == 201, t
    out["ticket_id"] = t["id"]
    status, d = await admin.post(f"/api/v1/halls/{c.id}/departments", {"code": f"d-{c.code}", "name": "部门"})
    assert status == 201, d
    out["department_id"] = out["obj_id"] = d["id"]
    status, u = await admin.post("/api/v1/users", {"username": f"m-{c.code}", "display_name": "经理",
                                                   "role": "manager", "password": "a-long-pass-9271",
                                                   "hall": c.id})
    assert status == 201, u
    out["user_id"] = u["id"]
    status, tk = await admin.post("/api/v1/tokens", {"role": "kiosk", "hall": c.id, "label": f"k-{c.code}"})
    assert status == 201, tk
    out["token_id"] = tk["id"]
    status, p = await admin.post(f"/api/v1/halls/{c.id}/patrols", {"kind": "full"})
    assert status == 201, p
    out["patrol_id"] = p["id"]
    status, f = await admin.post(f"/api/v1/halls/{c.id}/findings", {"category": "signage", "description": "指引牌",
                                                                    "area": "大厅", "patrol": p["id"]})
    assert status == 201, f
    out["finding_id"] = f["id"]
    status, case = await admin.post(f"/api/v1/halls/{c.id}/cases", {"source": "12345", "subject": "咨询"})
    assert status == 201, case
    out["case_id"] = case["id"]
    status, visit = await admin.post(f"/api/v1/halls/{c.id}/supervision/visits", {"mode": "remote"})
    if status == 201:  # a sub-centre (a district centre is nobody's to supervise)
        out["visit_id"] = visit["id"]
    return out


def route_table(hall: Hall) -> list[tuple[str, str]]:
    out = set()
    for r in hall.client.server.app.router.routes():
        info = r.resource.get_info() if r.resource is not None else {}
        path = info.get("formatter") or info.get("path")
        if path and r.method in ("GET", "POST", "PATCH", "PUT", "DELETE"):
            out.add((r.method, path))
    return sorted(out)


def fill(path: str, objs: dict[str, Any]) -> str | None:
    """The path with the target's objects in it; None when it names an object kind the walk did not make."""
    names = re.findall(r"\{(\w+)", path)
    if any(n not in objs and n not in NOT_HALL_OBJECTS for n in names):
        return None
    return re.sub(r"\{(\w+)[^}]*\}", lambda m: str(objs.get(m.group(1), "x")), path)


async def test_every_route_keeps_its_rules_under_the_tree(hall: Hall, tree: dict[str, Centre]) -> None:
    """Actors of every scope on every route: out of their part of the tree, nothing is found, nothing changes."""
    bailin = await objects_of(hall, tree["lijia-bailin"])
    district = await objects_of(hall, Centre(hall.hall_id, "liangjiang", hall.window_id(1)))
    outsiders = {  # (actor, whose objects it must not reach)
        "street manager": (await token(hall, Role.MANAGER, tree["renhe"].id), bailin),
        "street admin": (await token(hall, Role.ADMIN, tree["renhe"].id), bailin),
        "new-town manager": (await token(hall, Role.MANAGER, tree["longxing"].id), bailin),
        "community manager": (await token(hall, Role.MANAGER, tree["renhe-wanshou"].id), district),
        "community clerk": (await token(hall, Role.CLERK, tree["renhe-wanshou"].id, tree["renhe-wanshou"].window),
                            district),
        "community kiosk": (await token(hall, Role.KIOSK, tree["renhe-wanshou"].id), district),
        "community screen": (await token(hall, Role.DISPLAY, tree["renhe-wanshou"].id), district),
    }
    before = await hall.db.all("SELECT id, event_seq FROM halls ORDER BY id")
    walked, unfilled = 0, set()
    for method, path in route_table(hall):
        for who, (api, objs) in outsiders.items():
            url = fill(path, objs)
            if url is None:
                unfilled.add(path)
                continue
            if "{hall}" not in path and not re.search(r"\{\w+_id", path):
                continue  # not about one hall's objects (the list of halls, sign-in, the public pages)
            status, body = await api.call(method, url, {} if method in ("POST", "PATCH", "PUT") else None)
            walked += 1
            assert status in (401, 403, 404, 405, 422), (who, method, url, status, body)
    after = await hall.db.all("SELECT id, event_seq FROM halls ORDER BY id")
    assert [tuple(r) for r in after] == [tuple(r) for r in before]  # no hall saw an event: nothing changed
    assert walked > 700
    # Route kinds whose objects the walk does not make: each is checked by its own module's hall-scope tests.
    kinds = {n for p in unfilled for n in re.findall(r"\{(\w+)", p)}
    assert kinds - set(bailin) - NOT_HALL_OBJECTS <= {
        "alert_id", "appointment_id", "briefing_id", "bundle_id", "delivery_id", "followup_id", "photo_id",
        "visit_id", "webhook_id"}, sorted(unfilled)
