"""The identity and SMS adapters against local HTTP servers that check each request's signature from what
arrived on the wire (method, path, query, headers, body), re-derived here from the providers' documented
schemes; and the pure rules behind them (ID check digits, masks, retries, the per-number pace, the
missed-booking rule)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import quote

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from hallops.config import SmsConfig
from hallops.domain import booking, sms
from hallops.domain import identity as idn
from hallops.domain.errors import InvalidInput
from hallops.identity.http import HttpIdentity
from hallops.sms import SmsFailed
from hallops.sms.clouds import AliyunSms, TencentSms

KEY, SECRET = "AKIDtestkey", "testsecret"


@pytest.fixture
async def server() -> AsyncIterator[Callable[[Callable[[web.Request, bytes], Any]], Any]]:
    servers: list[TestServer] = []

    async def start(answer: Callable[[web.Request, bytes], Any]) -> TestServer:
        async def handle(request: web.Request) -> web.Response:
            body = await request.read()
            out = answer(request, body)
            status, reply = out if isinstance(out, tuple) else (200, out)
            return web.json_response(reply, status=status)
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handle)
        s = TestServer(app)
        await s.start_server()
        servers.append(s)
        return s
    yield start
    for s in servers:
        await s.close()


def _h(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


# -- identity: Alibaba Cloud API Gateway digest signature ---------------------------------------------

def gateway_signature_ok(request: web.Request, body: bytes) -> bool:
    h = request.headers
    if base64.b64encode(hashlib.md5(body).digest()).decode() != h["Content-MD5"]:  # MD5: the gateway's
        return False
    signed = h["X-Ca-Signature-Headers"].split(",")
    sts = "\n".join([request.method, h["Accept"], h["Content-MD5"], h["Content-Type"], h.get("Date", "")]) + "\n"
    sts += "".join(f"{name}:{h[name]}\n" for name in sorted(signed)) + request.path
    expected = base64.b64encode(_h(SECRET.encode(), sts)).decode()
    return hmac.compare_digest(expected, h["X-Ca-Signature"]) and h["X-Ca-Key"] == KEY


async def test_the_identity_adapter_signs_and_reads_the_answer(server: Any) -> None:
    seen: list[dict[str, Any]] = []

    def answer(request: web.Request, body: bytes) -> Any:
        if not gateway_signature_ok(request, body):
            return 403, {"code": "SIGNATURE"}
        q = json.loads(body)
        seen.append(q)
        if q.get("code") == "expired":
            return {"code": "EXPIRED"}
        if q.get("code") == "broken":
            return 502, {}
        return {"code": "0", "data": {"name": "张三华", "idNumber": "50010119900101123x", "mobile": "13800000001"}}
    s = await server(answer)
    p = HttpIdentity(str(s.make_url("/gw")), KEY, SECRET, timeout=2)
    who = await p.resolve_code("YKM1:50010119900101123X")
    assert who == idn.Identity("张三华", "50010119900101123X", "13800000001")
    assert seen[-1] == {"type": "code", "code": "YKM1:50010119900101123X"}
    await p.resolve_id("50010119900101123X", "张三华")
    assert seen[-1] == {"type": "id", "idNumber": "50010119900101123X", "name": "张三华"}
    with pytest.raises(idn.IdentityRejected):
        await p.resolve_code("expired")
    with pytest.raises(idn.IdentityUnavailable):
        await p.resolve_code("broken")
    wrong = HttpIdentity(str(s.make_url("/gw")), KEY, "not-the-secret", timeout=2)
    with pytest.raises(idn.IdentityUnavailable):  # refused by the gateway: not the citizen's fault
        await wrong.resolve_code("YKM1:50010119900101123X")


async def test_an_identity_service_that_does_not_answer_is_unavailable() -> None:
    p = HttpIdentity("http://127.0.0.1:9", KEY, SECRET, timeout=0.5)
    with pytest.raises(idn.IdentityUnavailable):
        await p.resolve_code("YKM1:50010119900101123X")


# -- SMS: Tencent Cloud TC3-HMAC-SHA256 ----------------------------------------------------------------

def tc3_ok(request: web.Request, body: bytes) -> bool:
    h = request.headers
    ts = int(h["X-TC-Timestamp"])
    date = dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%d")
    canonical = "\n".join(["POST", "/", "", f"content-type:{h['Content-Type']}\nhost:{h['Host']}\n"
                           f"x-tc-action:{h['X-TC-Action'].lower()}\n", "content-type;host;x-tc-action",
                           hashlib.sha256(body).hexdigest()])
    sts = "\n".join(["TC3-HMAC-SHA256", str(ts), f"{date}/sms/tc3_request",
                     hashlib.sha256(canonical.encode()).hexdigest()])
    key = _h(_h(_h(("TC3" + SECRET).encode(), date), "sms"), "tc3_request")
    sig = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
    return h["Authorization"] == (f"TC3-HMAC-SHA256 Credential={KEY}/{date}/sms/tc3_request, "
                                  f"SignedHeaders=content-type;host;x-tc-action, Signature={sig}")


def sms_config(provider: str, endpoint: str) -> SmsConfig:
    return SmsConfig(provider=provider, secret_id=KEY, secret_key=SECRET, app_id="1400000000", sign_name="两江政务",
                     endpoint=endpoint, timeout_seconds=2,
                     templates={"near": "1001", "called": "1002", "booked": "1003", "reminder": "1004"})


async def test_tencent_sms_is_signed_with_tc3_and_its_errors_sorted(server: Any) -> None:
    bodies: list[dict[str, Any]] = []

    def answer(request: web.Request, body: bytes) -> Any:
        if not tc3_ok(request, body) or request.headers["X-TC-Action"] != "SendSms":
            return {"Response": {"Error": {"Code": "AuthFailure.SignatureFailure", "Message": "bad"}}}
        q = json.loads(body)
        bodies.append(q)
        if q["PhoneNumberSet"] == ["+8613900000000"]:
            return {"Response": {"SendStatusSet": [{"Code": "InvalidParameterValue.IncorrectPhoneNumber"}]}}
        if q["PhoneNumberSet"] == ["+8613911111111"]:
            return {"Response": {"Error": {"Code": "RequestLimitExceeded", "Message": "slow down"}}}
        return {"Response": {"SendStatusSet": [{"Code": "Ok", "SerialNo": "2433:1"}], "RequestId": "x"}}
    s = await server(answer)
    p = TencentSms(sms_config("tencent", str(s.make_url(""))))
    ref = await p.send("13800001234", "called", {"number": "A012", "window": "5", "hall": "两江"}, "…")
    assert ref == "2433:1"
    assert bodies[-1] == {"PhoneNumberSet": ["+8613800001234"], "SmsSdkAppId": "1400000000", "SignName": "两江政务",
                          "TemplateId": "1002", "TemplateParamSet": ["A012", "5"]}
    with pytest.raises(SmsFailed) as e:
        await p.send("13900000000", "called", {"number": "A012", "window": "5"}, "…")
    assert e.value.retry is False  # a bad number: no retry fixes it
    with pytest.raises(SmsFailed) as e:
        await p.send("13911111111", "called", {"number": "A012", "window": "5"}, "…")
    assert e.value.retry is True
    with pytest.raises(SmsFailed) as e:
        await p.send("13800001234", "cancelled", {"when": "12-01 09:00"}, "…")
    assert e.value.retry is False and "template" in str(e.value)  # not configured
    wrong = TencentSms(sms_config("tencent", str(s.make_url(""))).model_copy(update={"secret_key": "nope"}))
    with pytest.raises(SmsFailed) as e:
        await wrong.send("13800001234", "called", {"number": "A012", "window": "5"}, "…")
    assert e.value.retry is False  # AuthFailure: fix the configuration


# -- SMS: Alibaba Cloud ACS3-HMAC-SHA256 ---------------------------------------------------------------

def acs3_ok(request: web.Request, body: bytes) -> bool:
    h = {k.lower(): v for k, v in request.headers.items()}
    auth = h["authorization"]
    assert auth.startswith("ACS3-HMAC-SHA256 ")
    parts = dict(p.split("=", 1) for p in auth[len("ACS3-HMAC-SHA256 "):].split(","))
    signed = parts["SignedHeaders"].split(";")
    if signed != sorted(signed) or not {"host", "x-acs-action", "x-acs-date", "x-acs-content-sha256"} <= set(signed):
        return False
    qs = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in sorted(request.query.items()))
    canonical = "\n".join(["POST", "/", qs, "".join(f"{n}:{h[n].strip()}\n" for n in signed), ";".join(signed),
                           hashlib.sha256(body).hexdigest()])
    sts = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical.encode()).hexdigest()
    expected = hmac.new(SECRET.encode(), sts.encode(), hashlib.sha256).hexdigest()
    return parts["Credential"] == KEY and hmac.compare_digest(parts["Signature"], expected)


async def test_aliyun_sms_is_signed_with_acs3(server: Any) -> None:
    queries: list[dict[str, str]] = []

    def answer(request: web.Request, body: bytes) -> Any:
        if not acs3_ok(request, body):
            return {"Code": "SignatureDoesNotMatch"}
        queries.append(dict(request.query))
        if request.query["PhoneNumbers"] == "13900000000":
            return {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "flow control"}
        return {"Code": "OK", "BizId": "900619746936498440^0"}
    s = await server(answer)
    p = AliyunSms(sms_config("aliyun", str(s.make_url(""))))
    ref = await p.send("13800001234", "near", {"number": "A012", "ahead": "3", "hall": "两江"}, "…")
    assert ref == "900619746936498440^0"
    assert queries[-1] == {"PhoneNumbers": "13800001234", "SignName": "两江政务", "TemplateCode": "1001",
                           "TemplateParam": json.dumps({"number": "A012", "ahead": "3"})}
    with pytest.raises(SmsFailed) as e:
        await p.send("13900000000", "near", {"number": "A012", "ahead": "3"}, "…")
    assert e.value.retry is True  # flow control: later
    wrong = AliyunSms(sms_config("aliyun", str(s.make_url(""))).model_copy(update={"secret_key": "nope"}))
    with pytest.raises(SmsFailed) as e:
        await wrong.send("13800001234", "near", {"number": "A012", "ahead": "3"}, "…")
    assert e.value.retry is False


async def test_an_sms_cloud_that_does_not_answer_is_retried_later() -> None:
    p = TencentSms(sms_config("tencent", "http://127.0.0.1:9"))
    with pytest.raises(SmsFailed) as e:
        await p.send("13800001234", "called", {"number": "A012", "window": "5"}, "…")
    assert e.value.retry is True


# -- the pure rules ------------------------------------------------------------------------------------

def test_id_check_digits_and_masks() -> None:
    assert idn.id_checksum_ok("50010119900101123X")
    assert not idn.id_checksum_ok("500101199001011230")
    assert not idn.id_checksum_ok("50010119900101123")    # 17 signs
    assert not idn.id_checksum_ok("50010119900101123X1")  # 19 signs
    assert idn.normalize_id(" 50010119900101123x ") == "50010119900101123X"
    with pytest.raises(InvalidInput):
        idn.normalize_id("500101199001011230")
    assert [idn.mask_name(n) for n in ("张华", "张三华", "欧阳娜娜", "李")] == ["张*", "张*华", "欧**娜", "李"]
    assert idn.mask_id("50010119900101123X") == "5001**********123X"
    assert idn.mask_mobile("13800001234") == "138****1234"
    assert idn.normalize_mobile("+86 138-0000-1234") == "13800001234"
    for bad in ("1380000123", "138000012345", "23800001234", "12800001234"):
        with pytest.raises(InvalidInput):
            idn.normalize_mobile(bad)
    assert len(idn.normalize_code("YKM1:123")) == 8  # 8 signs: the shortest code
    with pytest.raises(InvalidInput):
        idn.normalize_code("YKM1:12")


def test_a_failed_text_is_retried_five_times_then_failed() -> None:
    assert [sms.retry_at(n, 1000.0) for n in range(1, 7)] == [1015.0, 1060.0, 1300.0, 1900.0, 4600.0, None]


def test_one_number_gets_texts_at_its_pace() -> None:
    now = 10_000.0
    assert sms.may_send([], now).send
    assert sms.may_send([now - 21], now).send
    assert sms.may_send([now - 19], now) == sms.Decision(False, now + 1)  # 20 s between two texts
    five = [now - 3000 + i * 100 for i in range(5)]
    assert sms.may_send(five, now).send          # just under the hourly six
    six = [*five, now - 2000]
    assert sms.may_send(six, now) == sms.Decision(False, now - 3000 + 3600)


def test_text_near_only_once_and_within_the_threshold() -> None:
    assert sms.should_text_near(3, 3, False)
    assert not sms.should_text_near(4, 3, False)
    assert not sms.should_text_near(2, 3, True)


def test_missed_bookings_block_for_a_period() -> None:
    rule = booking.MissedRule(limit=3, window_days=30, block_days=30)
    day = booking.DAY
    assert booking.blocked_until([0, 10 * day], 11 * day, rule) is None                  # two: under the limit
    assert booking.blocked_until([0, 10 * day, 20 * day], 21 * day, rule) == 50 * day     # three within 30 days
    assert booking.blocked_until([0, 10 * day, 30 * day], 31 * day, rule) == 60 * day     # 30 days apart: still in
    assert booking.blocked_until([0, 10 * day, 31 * day], 32 * day, rule) is None         # 31 days: not
    assert booking.blocked_until([0, 10 * day, 20 * day], 50 * day, rule) is None         # the block is over
    assert booking.blocked_until([0, 1, 2], 3, booking.MissedRule(0, 30, 30)) is None    # the rule turned off
