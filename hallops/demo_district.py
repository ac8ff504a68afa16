"""The demo district's sub-centres (issue 10): the seed's district centre guides 8 street public-service centres,
3 new-town centres and 51 community centres. `district_layouts()` gives each as a layout document (the format of
hallops/demo_hall.toml, with `level` and `parent`), loaded with the demo hall by `hallops init --demo`.

Deterministic (a fixed seed): the same names, items, windows and staff on every machine. Street and new-town
centres have 4–6 windows, community centres 2–3; every queue takes tickets at any hour, like the demo hall's.
Street names are the Liangjiang New Area's; the communities' are plausible, not a register.
Staff: each centre's manager `<code>-mgr` and clerks `<code>-c<n>`, with the demo passwords.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

from hallops.domain.actors import Actor
from hallops.domain.model import Channel, Priority, Role
from hallops.usecases.accounts import OPERATOR

if TYPE_CHECKING:
    from hallops.usecases import UseCases

DISTRICT = "liangjiang"
MANAGER_PASSWORD = "demo-manager"
CLERK_PASSWORD = "demo-clerk"

# (code, 名称, English): eight streets and three new towns, each with its community centres.
STREETS = (
    ("renhe", "人和街道", "Renhe Street", ("万寿", "星隆", "花卉园", "人和", "天湖美镇")),
    ("yuanyang", "鸳鸯街道", "Yuanyang Street", ("鸳鸯", "金山", "湖彩", "栖霞", "上湾路")),
    ("tiangongdian", "天宫殿街道", "Tiangongdian Street", ("天宫殿", "紫荆", "春华", "松石", "旗山")),
    ("cuiyun", "翠云街道", "Cuiyun Street", ("翠云", "云竹", "翠湖", "云湖", "峡江")),
    ("dazhulin", "大竹林街道", "Dazhulin Street", ("大竹林", "康庄", "青枫", "竹林", "康美")),
    ("lijia", "礼嘉街道", "Lijia Street", ("白林", "礼嘉", "锦城", "龙塘", "嘉悦")),
    ("jinshan", "金山街道", "Jinshan Street", ("金童", "金开", "金渝", "龙山", "松牌")),
    ("kangmei", "康美街道", "Kangmei Street", ("康美", "金州", "星光", "黄山", "和睦")),
)
NEW_TOWNS = (
    ("longxing", "龙兴新城", "Longxing New Town", ("龙兴", "两江", "龙盛", "古镇")),
    ("shuitu", "水土新城", "Shuitu New Town", ("水土", "云汉", "方正", "高嘉")),
    ("yufu", "鱼复新城", "Yufu New Town", ("鱼嘴", "复盛", "五宝")),
)
SURNAMES = "王李张刘陈杨黄赵周吴徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程魏苏吕丁任沈"
GIVEN = ("伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超",
         "秀兰", "霞", "平", "刚", "桂英", "建华", "晓燕", "文静", "志强", "海燕", "玉兰", "红梅", "小军", "婷", "雪",
         "琳", "欣怡")

DEPARTMENTS = (
    {"code": "civil", "name": "民政", "name_en": "Civil affairs"},
    {"code": "hrss", "name": "人力社保", "name_en": "Human resources and social security"},
    {"code": "medins", "name": "医疗保障", "name_en": "Healthcare security"},
    {"code": "psb", "name": "公安户政", "name_en": "Household registration"},
)
# (code, 名称, English, department, queue): what a street or new-town centre handles; communities the first ten.
ITEMS = (
    ("civil-dibao", "最低生活保障申请", "Minimum living allowance", "civil", "A"),
    ("civil-elderly-allowance", "高龄失能老年人补贴申领", "Allowance for the very old and disabled", "civil", "A"),
    ("civil-disability-subsidy", "残疾人两项补贴申请", "Disability subsidies", "civil", "A"),
    ("civil-temporary-relief", "临时救助申请", "Temporary relief", "civil", "A"),
    ("hrss-card-apply", "社保卡申领", "Social security card", "hrss", "B"),
    ("hrss-resident-pension-enrol", "城乡居民养老保险参保登记", "Resident pension enrolment", "hrss", "B"),
    ("hrss-contribution-record", "社保缴费证明打印", "Contribution record", "hrss", "B"),
    ("hrss-employment-registration", "就业登记和失业登记", "Employment registration", "hrss", "B"),
    ("medins-resident-enrol", "城乡居民医保参保登记", "Resident medical insurance enrolment", "medins", "B"),
    ("medins-reimbursement", "医疗费用零星报销", "Medical expense reimbursement", "medins", "B"),
    ("psb-residence-permit", "居住证办理", "Residence permit", "psb", "C"),
    ("psb-hukou-certificate", "户籍证明开具", "Household registration certificate", "psb", "C"),
    ("psb-id-card-renew", "居民身份证换领、补领", "ID card renewal", "psb", "C"),
    ("civil-marriage-cert-reissue", "补领婚姻登记证", "Marriage certificate reissue", "civil", "A"),
)
QUEUES = (
    {"prefix": "A", "name": "综合受理", "name_en": "General services", "kind": "integrated", "category": "民政事务",
     "category_en": "Civil affairs", "target_wait_minutes": 20, "avg_service_minutes": 8},
    {"prefix": "B", "name": "社保医保", "name_en": "Social and medical insurance", "kind": "general",
     "department": "hrss", "category": "社保医保", "category_en": "Insurance", "target_wait_minutes": 20,
     "avg_service_minutes": 6},
    {"prefix": "C", "name": "户政业务", "name_en": "Household registration", "kind": "general", "department": "psb",
     "category": "户政", "category_en": "Household registration", "target_wait_minutes": 30,
     "avg_service_minutes": 10},
)


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _centre(rng: random.Random, code: str, name: str, name_en: str, level: str, parent: str,
            windows: int) -> dict[str, Any]:
    community = level == "community"
    queues = [dict(q, hours="00:00-24:00") for q in QUEUES[:2 if community else 3]]
    prefixes = [q["prefix"] for q in queues]
    items = [{"code": c, "name": n, "name_en": e, "department": d, "queue": q}
             for c, n, e, d, q in (ITEMS[:10] if community else ITEMS) if q in prefixes]
    wins = []
    for n in range(1, windows + 1):
        serves = prefixes if n == 1 else [prefixes[(n - 1) % len(prefixes)], "A"]  # the first window takes all
        wins.append({"number": n, "name": f"{n} 号窗口", "name_en": f"Window {n}",
                     "kind": "integrated" if "A" in serves[:1] else "general", "key_window": n == 1,
                     "area": "便民服务区", "queues": list(dict.fromkeys(serves))})
    users = [{"username": f"{code}-mgr", "display_name": _person(rng), "role": "manager",
              "password": MANAGER_PASSWORD}]
    users += [{"username": f"{code}-c{n}", "display_name": _person(rng), "role": "clerk", "password": CLERK_PASSWORD}
              for n in range(1, windows + 1)]
    suffix = "便民服务站" if community else "便民服务中心"
    return {"hall": {"code": code, "name": name + suffix, "name_en": f"{name_en} Service "
                     f"{'Station' if community else 'Centre'}", "timezone": "Asia/Shanghai", "level": level,
                     "parent": parent,
                     "notice": "工作日 9:00-12:00、13:00-17:00 办理；老年人、残疾人优先；可预约上门帮办。"},
            "departments": [dict(d) for d in DEPARTMENTS if any(i["department"] == d["code"] for i in items)],
            "queues": queues, "service_items": items, "windows": wins, "users": users}


def district_layouts(parent: str = DISTRICT, seed: int = 2021) -> list[dict[str, Any]]:
    """The 62 sub-centres, each street or new town before its communities."""
    from pypinyin import lazy_pinyin  # here, not at import: its dictionaries take 0.5 s to load

    rng = random.Random(seed)
    out = []
    for group, level in ((STREETS, "street"), (NEW_TOWNS, "new_town")):
        for code, name, name_en, communities in group:
            out.append(_centre(rng, code, name, name_en, level, parent, rng.randint(4, 6)))
            for c in communities:
                spelt = "".join(lazy_pinyin(c))
                out.append(_centre(rng, f"{code}-{spelt}", f"{name}{c}社区", f"{name_en.split()[0]} {spelt.title()}",
                                   "community", code, rng.randint(2, 3)))
    return out


async def open_centres(uc: UseCases, *, with_tickets: bool) -> int:
    """Every sub-centre's windows open with their clerks (as at the demo hall, so the district view does not
    open on a district of closed centres), and, in a freshly loaded demo, a few citizens at each: some waiting,
    some called, some served. Returns the number of centres."""
    from hallops.demo import _quietly

    halls = [h for h in await uc.halls.list(OPERATOR) if h["level"] != "district"]
    users = await uc.accounts.users(OPERATOR)
    rng = random.Random(7)
    for hall in halls:
        windows = [w for w in (await uc.halls.layout(OPERATOR, hall["id"]))["windows"] if w["active"]]
        clerks = sorted((u for u in users if u["hall_id"] == hall["id"] and u["role"] == "clerk"),
                        key=lambda u: u["username"])
        open_now = windows[:max(1, len(windows) - rng.randint(0, 1))]  # now and then one window stays closed
        for window, clerk in zip(open_now, clerks, strict=False):
            await _quietly(uc.windows.open(OPERATOR, window["id"], clerk=clerk["username"]))
        if not with_tickets:
            continue
        # A street or new-town centre walks its floor twice a day and checks a key window once; a community
        # station once a day (the district centre's 6 and 4 are the seed's own rule).
        quota = {"full_quota": 1, "spot_quota": 0} if hall["level"] == "community" else \
            {"full_quota": 2, "spot_quota": 1}
        await uc.patrols.change_settings(OPERATOR, hall["id"], quota)
        kiosk = Actor(Role.KIOSK, hall_id=hall["id"], display_name="demo kiosk")
        queues = sorted({q for w in windows for q in w["queues"]})
        for n in range(rng.randint(2, 9)):
            await uc.tickets.issue(kiosk, hall=hall["id"], queue=queues[n % len(queues)], channel=Channel.KIOSK,
                                   priority=Priority.ELDERLY if n % 5 == 4 else Priority.NONE)
        for i, window in enumerate(open_now):
            ticket = await _quietly(uc.windows.call_next(OPERATOR, window["id"]))
            if ticket is not None and i % 2 == 0:
                await uc.tickets.start(OPERATOR, ticket["id"])
                await uc.tickets.finish(OPERATOR, ticket["id"])
    return len(halls)

