"""Domain errors, mapped to HTTP once (DomainErrorMiddleware): views raise, never build 4xx by
hand, and every error says what is wrong and what to do next.

A leaf of geo: geo.http raises these, so nothing here imports geo.http (the middleware builds
its JsonResponse itself, as geo.http.json_response does: UTF-8, not \\u escapes)."""

import logging

from django.db import DataError
from django.http import JsonResponse

log = logging.getLogger(__name__)


class DomainError(Exception):
    status = 400

    def __init__(self, message: str, **details):
        super().__init__(message)
        self.message = message
        self.details = details  # more for the client to act on (JSON-serialisable)


class BadRequest(DomainError):
    status = 400


class NotFound(DomainError):
    status = 404


class Unavailable(DomainError):
    status = 503


class Forbidden(DomainError):
    status = 403


class SignInRequired(DomainError):
    """An API call that needs a signed-in user, made anonymously (pages redirect instead)."""

    status = 401


class TooManyRequests(DomainError):
    """A per-user limit reached (e.g. batch lookups queued at once); the message says which."""

    status = 429


class Conflict(DomainError):
    """A write based on a stale revision: someone else changed the same thing first."""

    status = 409


class RuleViolation(DomainError):
    """A write that would break a boundary rule; nothing was written."""

    status = 422


class TileOutOfRange(NotFound):
    """z/x/y outside the layer's zooms or the tile grid."""


class UnknownLayer(NotFound):
    """A layer key that the tile registry does not have."""


class DomainErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DomainError):
            return _json({"error": exception.message, **exception.details}, exception.status)
        if isinstance(exception, DataError):
            # A safety net, not a parser: the database refused a value (a number out of range,
            # a malformed date) that a view let through. The client gets a 400; the log gets
            # the traceback, so the view's missing check is found and fixed.
            log.error(
                "input reached the database unchecked: %s %s",
                request.method,
                request.path,
                exc_info=exception,
            )
            return _json(
                {
                    "error": "a value in this request is malformed or out of range (a number too "
                    "large, a date that is no date): correct it and send the request again"
                },
                400,
            )
        return None


def _json(body: dict, status: int) -> JsonResponse:
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
