"""Finding a service item from what a citizen types at the kiosk or on the phone: Chinese, pinyin, pinyin
initials (sb → 社保, yyzz → 营业执照), English, and the words people use for an item that its official name
does not (低保, 房产证, 开公司, license).

Pure: the entries are built from the hall's layout (`entries`), the query is scored against each (`search`).
Relevance first; among equals the department's own queue before the integrated one (综合窗口) unless the hall
says otherwise (`integrated_first`), then the shorter name, then the hall's own order.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

MAX_QUERY = 40  # characters: a name is at most a line; longer input is not a search
DEFAULT_LIMIT = 8

# What people say → words of the official names. Keys and values are matched after `fold`.
SYNONYMS: Mapping[str, tuple[str, ...]] = {
    "低保": ("最低生活保障",),
    "房产证": ("不动产权证书", "不动产"),
    "房本": ("不动产权证书",),
    "过户": ("转移登记", "过户"),
    "开公司": ("设立登记", "企业开办"),
    "注册公司": ("设立登记", "企业开办"),
    "办执照": ("营业执照",),
    "执照": ("营业执照",),
    "护照": ("出入境",),
    "港澳通行证": ("出入境",),
    "领证": ("结婚登记",),
    "结婚证": ("婚姻登记", "结婚登记"),
    "户口": ("户口", "户籍"),
    "落户": ("户口", "入户"),
    "医保": ("医保", "医疗保险"),
    "社保": ("社保", "社会保险"),
    "养老": ("养老", "退休"),
    "个税": ("个人所得税",),
    "公积金": ("公积金",),
    "无犯罪": ("无犯罪记录",),
    "id": ("id card",),
    "hukou": ("household registration",),
    "pension": ("pension", "retirement"),
    "tax": ("tax",),
    "passport": ("passport",),
}


# American spellings of the names' British English: the same word, no lower score.
SPELLINGS: Mapping[str, str] = {"license": "licence", "licensing": "licencing", "center": "centre",
                                "organization": "organisation", "enrollment": "enrolment", "enroll": "enrol"}


@dataclass(frozen=True, slots=True)
class Entry:
    """One service item as search sees it."""

    order: int
    item: str            # 营业执照设立登记
    item_en: str
    queue: str           # its queue's prefix
    integrated: bool     # its queue is an integrated (综合) one
    zh: str              # folded Chinese name
    en: str              # folded English name
    full: str            # pinyin, no spaces: yingyezhizhaosheli…
    initials: str        # yyzzsldj
    queue_zh: str
    queue_en: str


@dataclass(frozen=True, slots=True)
class Hit:
    entry: Entry
    score: int
    matched: str  # "zh" | "pinyin" | "initials" | "en" | "synonym" | "queue"


def fold(text: str) -> str:
    """Lower case, full-width to half-width, brackets and punctuation out, spaces squeezed."""
    t = unicodedata.normalize("NFKC", text or "").lower()
    t = re.sub(r"[()（）、，,。.:：;；·/\\\-_\"'“”‘’!?！？]+", " ", t)
    t = re.sub(r"\s+", " ", t).strip()
    return " ".join(SPELLINGS.get(w, w) for w in t.split(" ")) if t.isascii() else t


@functools.lru_cache(maxsize=4096)
def pinyin_keys(text: str) -> tuple[str, str]:
    """(full pinyin, initials) of a Chinese name, letters only: ("shebaokashenling", "sbksl")."""
    han = "".join(c for c in text if "\u4e00" <= c <= "\u9fff")
    if not han:
        return "", ""
    from pypinyin import Style, lazy_pinyin  # here, not at import: its dictionaries take 0.5 s to load

    return "".join(lazy_pinyin(han)), "".join(lazy_pinyin(han, style=Style.FIRST_LETTER))


def entries(layout: Mapping[str, Any]) -> list[Entry]:
    """The hall's active service items with an active queue, as search entries."""
    queues = {q["prefix"]: q for q in layout["queues"] if q["active"]}
    out = []
    for n, i in enumerate(x for x in layout["service_items"] if x["active"] and x["queue"] in queues):
        q = queues[i["queue"]]
        full, initials = pinyin_keys(i["name"])
        out.append(Entry(n, i["name"], i["name_en"] or "", q["prefix"], q["kind"] == "integrated", fold(i["name"]),
                         fold(i["name_en"] or ""), full, initials, fold(q["name"]), fold(q["name_en"] or "")))
    return out


def _is_latin(q: str) -> bool:
    return all(c.isascii() for c in q)


def _en_score(q: str, en: str) -> int:
    """Every word of the query starts a word of the English name (in any order)."""
    words = en.split()
    qw = q.split()
    if not qw:
        return 0
    if en.startswith(q):
        return 60
    if all(any(w.startswith(x) for w in words) for x in qw):
        return 55 if q in en else 50
    return 0


def score(q: str, e: Entry) -> tuple[int, str]:
    """How well a folded query matches an entry (0: not at all), and by what."""
    best = (0, "")

    def take(s: int, how: str) -> None:
        nonlocal best
        if s > best[0]:
            best = (s, how)

    if q == e.zh:
        take(100, "zh")
    elif e.zh.startswith(q):
        take(90, "zh")
    elif q in e.zh:
        take(80, "zh")
    if _is_latin(q):
        compact = q.replace(" ", "")
        if compact and compact.isalpha():
            if e.initials.startswith(compact) and len(compact) >= 2:
                take(75, "initials")
            elif len(compact) >= 2 and compact in e.initials:
                take(62, "initials")
            if len(compact) >= 3 and e.full.startswith(compact):
                take(72, "pinyin")
            elif len(compact) >= 4 and compact in e.full:
                take(60, "pinyin")
        take(_en_score(q, e.en), "en")
    for word, meanings in SYNONYMS.items():
        if word == q or (len(q) >= 2 and not _is_latin(q) and word in q):
            for n, m in enumerate(meanings):
                if m in e.zh or (_is_latin(m) and _en_score(m, e.en)):
                    take(46 - min(n, 5), "synonym")
    if q and (q in e.queue_zh or (_is_latin(q) and len(q) >= 3 and q in e.queue_en)):
        take(30, "queue")
    return best


def search(query: str, items: Sequence[Entry], *, integrated_first: bool = False,
           limit: int = DEFAULT_LIMIT) -> list[Hit]:
    """The best `limit` matches, best first (see the module's docstring for the order)."""
    q = fold(query)
    if not q:
        return []
    hits = []
    for e in items:
        s, how = score(q, e)
        if s:
            hits.append(Hit(e, s, how))
    hits.sort(key=lambda h: (-h.score, h.entry.integrated != integrated_first, len(h.entry.zh), h.entry.order))
    return hits[:limit]


def bundles(query: str, offered: Sequence[Mapping[str, Any]], limit: int = DEFAULT_LIMIT) -> list[int]:
    """The bundles (一件事一次办) whose name matches as an item's would (开办企业 → 开办企业一件事), best first:
    their ids. Names only: every bundle holds common items, and 营业执照 should find the item, not five bundles."""
    q = fold(query)
    if not q:
        return []
    scored = []
    for n, b in enumerate(offered):
        full, initials = pinyin_keys(b["name"])
        e = Entry(n, b["name"], b["name_en"] or "", "", False, fold(b["name"]), fold(b["name_en"] or ""), full,
                  initials, "", "")
        s, _ = score(q, e)
        if s:
            scored.append((-s, len(e.zh), n, int(b["id"])))
    return [b_id for *_, b_id in sorted(scored)[:limit]]


def hits_json(hits: Iterable[Hit], waiting: Mapping[str, int],
              names: Mapping[str, tuple[str, str]]) -> list[dict[str, Any]]:
    """Hits as the menu's search answer: the item, its queue (names and how many wait), what matched."""
    return [{"item": h.entry.item, "item_en": h.entry.item_en, "queue": h.entry.queue,
             "queue_name": names[h.entry.queue][0], "queue_name_en": names[h.entry.queue][1],
             "waiting": waiting.get(h.entry.queue, 0), "integrated": h.entry.integrated, "matched": h.matched,
             "score": h.score} for h in hits]
