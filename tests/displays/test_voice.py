"""Announcements: the words (pure) and the offline audio served by the server (espeak-ng, cached)."""

from __future__ import annotations

import io
import wave

from hallops.http.live import VOICE
from hallops.voice.text import Announcement, Kind, Lang, display_text, sentence
from tests.conftest import Hall


def test_a_ticket_number_is_read_sign_by_sign_never_as_a_number() -> None:
    a = Announcement("A012", 5)
    assert sentence(a, Lang.ZH) == "请 A 零 一 二 号到 5 号窗口办理"
    assert sentence(a, Lang.EN) == "Number A, zero, one, two, please go to window 5."
    assert display_text(a) == "请 A012 号到 5 号窗口办理"


def test_a_recall_is_prefixed_by_chonghu() -> None:
    a = Announcement("B100", 12, Kind.RECALL)
    assert sentence(a, Lang.ZH) == "重呼，请 B 一 零 零 号到 12 号窗口办理"
    assert sentence(a, Lang.EN).startswith("Repeat call. ")


def seconds(data: bytes) -> float:
    with wave.open(io.BytesIO(data)) as w:
        assert (w.getnchannels(), w.getsampwidth()) == (1, 2)
        return w.getnframes() / w.getframerate()


async def test_the_server_renders_the_call_offline_and_caches_it(hall: Hall) -> None:
    engine = hall.client.server.app[VOICE]
    url = f"/api/v1/halls/{hall.hall_id}/announcement?ticket=A012&window=5"
    resp = await hall.client.get(url + f"&token={hall.display.token}")
    assert resp.status == 200 and resp.content_type == "audio/wav"
    once = await resp.read()
    assert 3.0 < seconds(once) < 12.0  # chime + sentence
    assert engine.rendered == 1
    again = await hall.client.get(url + f"&token={hall.display.token}")
    assert await again.read() == once and engine.rendered == 1  # from the cache, not rendered again
    twice = await hall.client.get(url + f"&repeat=2&lang=zh,en&token={hall.display.token}")
    assert seconds(await twice.read()) > 2 * seconds(once)
    recall = await hall.client.get(url + f"&kind=recall&token={hall.display.token}")
    assert seconds(await recall.read()) > seconds(once)  # "重呼，" comes first


async def test_the_audio_endpoint_refuses_what_is_not_a_call(hall: Hall) -> None:
    base = f"/api/v1/halls/{hall.hall_id}/announcement"
    ok = await hall.client.get(f"{base}?ticket=A012&window=5",
                               headers={"Authorization": f"Bearer {hall.display.token}"})  # a header works too
    assert ok.status == 200 and ok.content_type == "audio/wav"
    assert (await hall.anon.get(f"{base}?ticket=A012&window=5"))[0] == 401
    for q in ("ticket=hello%20world&window=5", "ticket=A012&window=0", "ticket=A012&window=5&lang=fr",
              "ticket=A012&window=5&repeat=9", "ticket=A012&window=5&kind=shout"):
        status, body = await hall.display.get(f"{base}?{q}")
        assert status == 422, (q, body)
