"""The city's identity service over HTTP (渝快码 and similar services published through an API gateway).

Request (JSON, POST {url}/v1/identity/resolve):
    {"type": "code", "code": "<what the scanner read>"}   or
    {"type": "id", "idNumber": "50010119900101123X", "name": "张三华"}
Response: {"code": "0", "data": {"name": "张三华", "idNumber": "…", "mobile": "138…"}};
    code "404" / "EXPIRED" / "MISMATCH": the person is not known (IdentityRejected); anything else, a
    non-200 status, a timeout or a malformed answer: the service is unavailable (IdentityUnavailable).

Signing: such government open platforms sit behind Alibaba Cloud API Gateway, whose scheme this implements
("使用摘要签名认证方式调用API", help.aliyun.com/zh/api-gateway/user-guide/use-digest-authentication-to-call-an-api):
    StringToSign = METHOD "\n" Accept "\n" Content-MD5 "\n" Content-Type "\n" Date "\n"
                   + each signed header "name:value\n" (sorted by name) + Path[?sorted query]
    X-Ca-Signature = Base64(HmacSHA256(AppSecret, StringToSign)),
with X-Ca-Key, X-Ca-Timestamp (ms), X-Ca-Nonce, X-Ca-Signature-Method: HmacSHA256 and
X-Ca-Signature-Headers: x-ca-key,x-ca-nonce,x-ca-signature-method,x-ca-timestamp; Content-MD5 is
Base64(MD5(body)).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from hallops.domain.identity import Identity, IdentityRejected, IdentityUnavailable

PATH = "/v1/identity/resolve"
ACCEPT = "application/json"
CONTENT_TYPE = "application/json; charset=utf-8"
REJECTED = frozenset({"404", "EXPIRED", "MISMATCH"})


def string_to_sign(method: str, headers: Mapping[str, str], path_and_query: str) -> str:
    signed = sorted(h.strip().lower() for h in headers["X-Ca-Signature-Headers"].split(","))
    lower = {k.lower(): v for k, v in headers.items()}
    lines = [method.upper(), lower.get("accept", ""), lower.get("content-md5", ""), lower.get("content-type", ""),
             lower.get("date", "")]
    return "\n".join(lines) + "\n" + "".join(f"{h}:{lower[h]}\n" for h in signed) + path_and_query


def signed_headers(app_key: str, app_secret: str, body: bytes, path: str, *, now_ms: int | None = None,
                   nonce: str | None = None) -> dict[str, str]:
    headers = {
        "Accept": ACCEPT,
        "Content-Type": CONTENT_TYPE,
        "Content-MD5": base64.b64encode(hashlib.md5(body).digest()).decode(),  # MD5: the gateway asks for it
        "X-Ca-Key": app_key,
        "X-Ca-Timestamp": str(now_ms if now_ms is not None else int(time.time() * 1000)),
        "X-Ca-Nonce": nonce or str(uuid.uuid4()),
        "X-Ca-Signature-Method": "HmacSHA256",
        "X-Ca-Signature-Headers": "x-ca-key,x-ca-nonce,x-ca-signature-method,x-ca-timestamp",
    }
    sts = string_to_sign("POST", headers, path)
    headers["X-Ca-Signature"] = base64.b64encode(hmac.new(app_secret.encode(), sts.encode(),
                                                          hashlib.sha256).digest()).decode()
    return headers


class HttpIdentity:
    def __init__(self, url: str, app_key: str, app_secret: str, *, timeout: float = 3.0) -> None:
        self.url = url.rstrip("/")
        self.app_key = app_key
        self.app_secret = app_secret
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.down = False  # the fake's switch, kept for symmetry: an adapter is never forced down

    async def _post(self, payload: dict[str, Any]) -> Identity:
        body = json.dumps(payload, ensure_ascii=False).encode()
        path = urlsplit(self.url).path.rstrip("/") + PATH
        headers = signed_headers(self.app_key, self.app_secret, body, path)
        try:
            async with aiohttp.ClientSession(timeout=self.timeout) as s, \
                    s.post(self.url + PATH, data=body, headers=headers) as resp:
                if resp.status != 200:
                    raise IdentityUnavailable(f"identity service answered {resp.status}")
                reply = await resp.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as e:
            raise IdentityUnavailable(f"identity service: {e!r}") from e
        code = str(reply.get("code", ""))
        if code in REJECTED:
            raise IdentityRejected(code)
        data = reply.get("data") or {}
        if code != "0" or not data.get("name") or not data.get("idNumber"):
            raise IdentityUnavailable(f"identity service: unexpected answer {code!r}")
        return Identity(str(data["name"]), str(data["idNumber"]).upper(), str(data.get("mobile") or ""))

    async def resolve_code(self, code: str) -> Identity:
        return await self._post({"type": "code", "code": code})

    async def resolve_id(self, id_number: str, name: str) -> Identity:
        return await self._post({"type": "id", "idNumber": id_number, "name": name})
