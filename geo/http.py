"""JSON in and out for every endpoint: request bodies parsed into an object with a message a
client can act on, and responses with Chinese names as UTF-8, not \\u escapes (a third of the
bytes, and readable in a console or a log)."""

import json

from django.http import JsonResponse

# A module reference, not its names: geo.errors imports this module for its responses.
from geo import errors


def json_body(request) -> dict:
    """The request's JSON object (an empty body is {}); BadRequest saying what is wrong."""
    try:
        body = json.loads(request.body or b"{}")
    except json.JSONDecodeError as exc:
        raise errors.BadRequest(f"the body is not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise errors.BadRequest("the body must be a JSON object")
    return body


def json_response(body, status: int = 200, **kwargs) -> JsonResponse:
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False}, **kwargs)
