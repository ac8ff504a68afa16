from tests.conftest import Hall


async def test_issue_then_call_at_an_open_window(hall: Hall) -> None:
    t = await hall.issue("A")
    assert t["number"] == "A001" and t["status"] == "waiting" and t["position"] == 1
    w = hall.window_id(1)
    status, _ = await hall.manager.post(f"/api/v1/windows/{w}/open")
    assert status == 200
    status, body = await hall.manager.post(f"/api/v1/windows/{w}/call-next")
    assert status == 200 and body["ticket"]["number"] == "A001" and body["ticket"]["window"] == 1
