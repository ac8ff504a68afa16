"""The common Chinese SMS clouds, each a signed HTTPS request as its documentation specifies.

Tencent Cloud SMS, SendSms (API 2021-01-11), signed with TC3-HMAC-SHA256 ("签名方法 v3",
cloud.tencent.com/document/api/382/52072 and /document/api/213/30654):
    CanonicalRequest = "POST\n/\n\n" + "content-type:application/json; charset=utf-8\nhost:{host}\n"
                       "x-tc-action:sendsms\n" + "\n" + "content-type;host;x-tc-action" + "\n" + hex(SHA256(body))
    StringToSign = "TC3-HMAC-SHA256\n" + timestamp + "\n" + date + "/sms/tc3_request\n" + hex(SHA256(CanonicalRequest))
    key = HMAC(HMAC(HMAC("TC3" + SecretKey, date), "sms"), "tc3_request"); Signature = hex(HMAC(key, StringToSign))
    Authorization: TC3-HMAC-SHA256 Credential={SecretId}/{date}/sms/tc3_request,
                   SignedHeaders=content-type;host;x-tc-action, Signature={Signature}
  Body {"PhoneNumberSet": ["+86…"], "SmsSdkAppId", "SignName", "TemplateId", "TemplateParamSet": [...]};
  answer {"Response": {"SendStatusSet": [{"Code": "Ok", "SerialNo": …}]}} or {"Response": {"Error": {…}}}.

Alibaba Cloud SMS (Dysmsapi 2017-05-25), signed with ACS3-HMAC-SHA256 ("V3 版本请求体&签名机制",
help.aliyun.com/zh/sdk/product-overview/v3-request-structure-and-signature):
    CanonicalRequest = "POST\n/\n" + sorted percent-encoded query + "\n" + each signed header "name:value\n"
                       (host, x-acs-action, x-acs-content-sha256, x-acs-date, x-acs-signature-nonce,
                       x-acs-version) + "\n" + signed header names joined by ";" + "\n" + hex(SHA256(body))
    StringToSign = "ACS3-HMAC-SHA256\n" + hex(SHA256(CanonicalRequest))
    Authorization: ACS3-HMAC-SHA256 Credential={AccessKeyId},SignedHeaders=…,Signature=hex(HMAC(secret, sts))
  Parameters PhoneNumbers, SignName, TemplateCode, TemplateParam (JSON) in the query; answer {"Code": "OK", "BizId"}.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import time
import uuid
from typing import Any
from urllib.parse import quote, urlsplit

import aiohttp

from hallops.config import SmsConfig
from hallops.domain.sms import template_params
from hallops.sms import SmsFailed

# Tencent's error codes that no retry will fix (a bad number, a template the console refused, …).
TENCENT_FINAL = ("FailedOperation.PhoneNumberInBlacklist", "InvalidParameterValue.IncorrectPhoneNumber",
                 "FailedOperation.TemplateIncorrectOrUnapproved", "FailedOperation.SignatureIncorrectOrUnapproved",
                 "AuthFailure")
ALIYUN_FINAL = ("isv.MOBILE_NUMBER_ILLEGAL", "isv.BLACK_KEY_CONTROL_LIMIT", "isv.SMS_TEMPLATE_ILLEGAL",
                "isv.SMS_SIGNATURE_ILLEGAL", "InvalidAccessKeyId.NotFound", "SignatureDoesNotMatch")


def _sha256(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def tc3_authorization(secret_id: str, secret_key: str, host: str, action: str, body: bytes, timestamp: int,
                      service: str = "sms") -> str:
    date = dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d")
    canonical = ("POST\n/\n\n" f"content-type:application/json; charset=utf-8\nhost:{host}\n"
                 f"x-tc-action:{action.lower()}\n\ncontent-type;host;x-tc-action\n{_sha256(body)}")
    scope = f"{date}/{service}/tc3_request"
    sts = f"TC3-HMAC-SHA256\n{timestamp}\n{scope}\n{_sha256(canonical.encode())}"
    key = _hmac(_hmac(_hmac(("TC3" + secret_key).encode(), date), service), "tc3_request")
    sig = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
    return (f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, SignedHeaders=content-type;host;x-tc-action, "
            f"Signature={sig}")


def acs3_authorization(key_id: str, secret: str, headers: dict[str, str], query: dict[str, str],
                       body: bytes) -> str:
    signed = sorted(h for h in (k.lower() for k in headers) if h == "host" or h.startswith("x-acs-"))
    lower = {k.lower(): v for k, v in headers.items()}
    qs = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in sorted(query.items()))
    canonical = ("POST\n/\n" + qs + "\n" + "".join(f"{h}:{lower[h].strip()}\n" for h in signed) + "\n"
                 + ";".join(signed) + "\n" + _sha256(body))
    sts = "ACS3-HMAC-SHA256\n" + _sha256(canonical.encode())
    sig = hmac.new(secret.encode(), sts.encode(), hashlib.sha256).hexdigest()
    return f"ACS3-HMAC-SHA256 Credential={key_id},SignedHeaders={';'.join(signed)},Signature={sig}"


class _Cloud:
    default_endpoint = ""

    def __init__(self, cfg: SmsConfig) -> None:
        self.cfg = cfg
        self.endpoint = (cfg.endpoint or self.default_endpoint).rstrip("/")
        self.host = urlsplit(self.endpoint).netloc
        self.timeout = aiohttp.ClientTimeout(total=cfg.timeout_seconds)

    def template(self, kind: str) -> str:
        t = self.cfg.templates.get(kind)
        if not t:
            raise SmsFailed(f"no template configured for {kind!r} ([sms] templates)", retry=False)
        return t

    async def _post(self, url: str, headers: dict[str, str], body: bytes) -> Any:
        try:
            async with aiohttp.ClientSession(timeout=self.timeout) as s, s.post(url, data=body, headers=headers) as r:
                if r.status >= 500 or r.status == 429:
                    raise SmsFailed(f"SMS cloud answered {r.status}")
                return await r.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as e:
            raise SmsFailed(f"SMS cloud: {e!r}") from e


class TencentSms(_Cloud):
    default_endpoint = "https://sms.tencentcloudapi.com"

    async def send(self, mobile: str, kind: str, params: dict[str, str], text: str) -> str:
        body = json.dumps({"PhoneNumberSet": [f"+86{mobile}"], "SmsSdkAppId": self.cfg.app_id,
                           "SignName": self.cfg.sign_name, "TemplateId": self.template(kind),
                           "TemplateParamSet": template_params(kind, params)}, ensure_ascii=False).encode()
        ts = int(time.time())
        headers = {"Content-Type": "application/json; charset=utf-8", "Host": self.host, "X-TC-Action": "SendSms",
                   "X-TC-Timestamp": str(ts), "X-TC-Version": "2021-01-11", "X-TC-Region": self.cfg.region,
                   "Authorization": tc3_authorization(self.cfg.secret_id, self.cfg.secret_key, self.host, "SendSms",
                                                      body, ts)}
        reply = (await self._post(self.endpoint + "/", headers, body)).get("Response") or {}
        if "Error" in reply:
            code = str(reply["Error"].get("Code", ""))
            raise SmsFailed(f"{code}: {reply['Error'].get('Message', '')}", retry=not code.startswith(TENCENT_FINAL))
        status = (reply.get("SendStatusSet") or [{}])[0]
        if status.get("Code") != "Ok":
            code = str(status.get("Code", "unknown"))
            raise SmsFailed(f"{code}: {status.get('Message', '')}", retry=not code.startswith(TENCENT_FINAL))
        return str(status.get("SerialNo", ""))


class AliyunSms(_Cloud):
    default_endpoint = "https://dysmsapi.aliyuncs.com"

    async def send(self, mobile: str, kind: str, params: dict[str, str], text: str) -> str:
        names = {"near": ("number", "ahead"), "called": ("number", "window"), "booked": ("item", "when", "code"),
                 "reminder": ("when", "item", "code"), "cancelled": ("when",)}[kind]
        query = {"PhoneNumbers": mobile, "SignName": self.cfg.sign_name, "TemplateCode": self.template(kind),
                 "TemplateParam": json.dumps({k: str(params[k]) for k in names}, ensure_ascii=False)}
        body = b""
        headers = {"host": self.host, "x-acs-action": "SendSms", "x-acs-version": "2017-05-25",
                   "x-acs-date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                   "x-acs-signature-nonce": uuid.uuid4().hex, "x-acs-content-sha256": _sha256(body)}
        headers["Authorization"] = acs3_authorization(self.cfg.secret_id, self.cfg.secret_key, headers, query, body)
        qs = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in sorted(query.items()))
        reply = await self._post(f"{self.endpoint}/?{qs}", headers, body)
        code = str(reply.get("Code", ""))
        if code != "OK":
            raise SmsFailed(f"{code}: {reply.get('Message', '')}", retry=not code.startswith(ALIYUN_FINAL))
        return str(reply.get("BizId", ""))
