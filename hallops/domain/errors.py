"""Errors the domain raises; the HTTP layer maps each to a status code and a JSON body."""

from __future__ import annotations


class DomainError(Exception):
    """A refused request. `code` is machine-readable, `message` is for people (Chinese first)."""

    status = 400

    def __init__(self, code: str, message: str, **detail: object) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.detail = detail


class InvalidInput(DomainError):
    status = 422


class UnsupportedMediaType(DomainError):
    status = 415


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    """An illegal transition or a state that does not allow the action: nothing was changed."""

    status = 409


class Forbidden(DomainError):
    status = 403


class Unauthorized(DomainError):
    status = 401


class TooManyRequests(DomainError):
    status = 429
