"""Domain errors, mapped to HTTP once (DomainErrorMiddleware): views raise, never build 4xx by
hand, and every error says what is wrong and what to do next."""

from geo.http import json_response


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
            return json_response(
                {"error": exception.message, **exception.details}, status=exception.status
            )
        return None
