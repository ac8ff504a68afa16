"""Every error leaves as JSON: {"error": "machine_code", "message": "readable text", "detail": {...}}."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from hallops.domain.errors import (
    Conflict,
    DomainError,
    E,
    Forbidden,
    InvalidInput,
    NotFound,
    TooManyRequests,
    Unauthorized,
    Unavailable,
    UnsupportedMediaType,
)
from hallops.storage import faults
from hallops.storage.db import Busy, OutcomeUnknown

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# The one place where a kind of refusal becomes an HTTP status.
STATUS: dict[type[DomainError], int] = {
    InvalidInput: 422, UnsupportedMediaType: 415, NotFound: 404, Conflict: 409, Forbidden: 403, Unauthorized: 401,
    TooManyRequests: 429, Unavailable: 503,
}
# The storage faults an operator must fix: logged once when they begin (storage/faults.py), answered 503.
FAULTS = web.AppKey("storage_faults", faults.FaultLog)
FAULT_MESSAGES = {
    faults.DISK_FULL: "服务器磁盘已满，请联系管理员 (the server's disk is full; nothing was changed)",
    faults.READ_ONLY: "数据库只读，请联系管理员 (the database is read-only; nothing was changed)",
    faults.GONE: "数据库文件不可用，请联系管理员 (the database file is gone; nothing was changed)",
    faults.UNAVAILABLE: "数据库暂不可用，请稍后重试 (the database is unreachable; retry later)",
}


def status_of(e: DomainError) -> int:
    for cls in type(e).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


_HTTP_CODES = {400: E.BAD_REQUEST, 401: E.UNAUTHENTICATED, 403: E.FORBIDDEN, 404: E.NOT_FOUND,
               405: E.METHOD_NOT_ALLOWED, 413: E.PAYLOAD_TOO_LARGE, 415: E.UNSUPPORTED_MEDIA_TYPE}
_HTTP_MESSAGES = {404: "资源不存在 (not found)", 405: "不支持该方法 (method not allowed)",
                  413: "请求体过大 (request body too large)"}


_PAGE_TITLES = {401: ("请先登录", "Please sign in"), 403: ("无权访问", "Not allowed"),
                404: ("页面不存在", "Not found"), 409: ("操作未完成", "Not possible now"),
                429: ("请求过于频繁", "Too many requests")}


def wants_page(request: web.Request) -> bool:
    """A person's browser asking for a page (not the JSON API, not a script)."""
    return not request.path.startswith("/api/") and "text/html" in request.headers.get("Accept", "")


def error_page(request: web.Request, status: int, code: E | str, message: str) -> web.Response:
    from hallops.http.web import render

    zh, en = _PAGE_TITLES.get(status, ("出错了", "Something went wrong"))
    return render(request, "error.html", status=status, status_code=status, code=code, message=message,
                  title_zh=zh, title_en=en)


def error_response(status: int, code: E | str, message: str, detail: dict[str, Any] | None = None,
                   headers: dict[str, str] | None = None) -> web.Response:
    body: dict[str, Any] = {"error": code, "message": message}
    if detail:
        body["detail"] = detail
    return web.Response(status=status, text=json.dumps(body, ensure_ascii=False, default=str),
                        content_type="application/json", headers=headers)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        resp = await handler(request)
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            fault_log = request.app.get(FAULTS)
            if fault_log is not None and fault_log.current is not None and resp.status < 500:
                fault_log.cleared()  # a change went through: the storage fault is over
        return resp
    except DomainError as e:
        status = status_of(e)
        if wants_page(request):
            return error_page(request, status, e.code, e.message)
        return error_response(status, e.code, e.message, e.detail)
    except web.HTTPException as e:
        if e.status < 400:
            raise
        code, message = _HTTP_CODES.get(e.status, E.HTTP_ERROR), _HTTP_MESSAGES.get(e.status, e.reason)
        if wants_page(request):
            return error_page(request, e.status, code, message)
        headers = {k: v for k, v in e.headers.items() if k.lower() == "allow"}
        return error_response(e.status, code, message, headers=headers)
    except OutcomeUnknown:
        log.warning("outcome unknown (connection lost at commit): %s %s", request.method, request.path)
        return error_response(503, E.OUTCOME_UNKNOWN,
                              "连接中断，操作可能已完成：请用同一 Idempotency-Key 重试，或先查看结果 "
                              "(connection lost at commit: the change may have been made; "
                              "retry with the same Idempotency-Key, or look first)",
                              headers={"Retry-After": "1"})
    except Busy:
        log.warning("database busy: %s %s", request.method, request.path)
        return error_response(503, E.DATABASE_BUSY, "系统繁忙，请稍后重试 (database busy, retry)",
                              headers={"Retry-After": "1"})
    except (RecursionError, OverflowError) as e:
        # A value the one input check (http/api.py) should have refused; still the client's doing, not a 500.
        log.warning("input out of range reached a handler on %s %s: %r", request.method, request.path, e)
        return error_response(422, E.OUT_OF_RANGE, "参数超出范围 (a value is out of range)")
    except Exception as e:
        fault = faults.classify(e)
        if fault is None:
            log.exception("unhandled error on %s %s", request.method, request.path)
            return error_response(500, E.INTERNAL_ERROR, "服务器内部错误 (internal error)")
        fault_log = request.app.get(FAULTS)
        if fault_log is not None:
            fault_log.seen(fault, e, f"{request.method} {request.path}")
        return error_response(503, fault, FAULT_MESSAGES[fault], headers={"Retry-After": "30"})
