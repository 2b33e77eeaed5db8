"""JSON in and out for every endpoint: request bodies parsed into an object with a message a
client can act on, and responses with Chinese names as UTF-8, not \\u escapes (a third of the
bytes, and readable in a console or a log)."""

import json
import re

from django.conf import settings
from django.http import JsonResponse

from geo import errors

# C0 controls but tab, newline and carriage return (text a person may type), and DEL.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def json_body(request) -> dict:
    """The request's JSON object (an empty body is {}); BadRequest saying what is wrong.

    Refused besides malformed JSON: nesting deeper than GRIDATLAS_JSON_MAX_DEPTH (the parser
    would recurse a thousand levels and the views walk it again), integers of thousands of
    digits, and strings holding control characters (PostgreSQL text cannot hold NUL)."""
    if request.content_type == "multipart/form-data":
        # The form is parsed already (RequestInputMiddleware, CSRF): its raw body is gone.
        raise errors.BadRequest("send the body as JSON (Content-Type: application/json)")
    try:
        body = json.loads(request.body or b"{}", parse_constant=_no_constant)
    except RecursionError:
        body = None  # deeper than the parser's stack: reported as too deep below
        problem = f"it is nested deeper than {settings.GRIDATLAS_JSON_MAX_DEPTH} levels"
    except ValueError as exc:  # JSONDecodeError, bad UTF-8, an integer of > 4,300 digits
        raise errors.BadRequest(f"the body is not JSON: {exc}") from None
    else:
        problem = _json_problem(body, max_depth=settings.GRIDATLAS_JSON_MAX_DEPTH)
    if problem:
        raise errors.BadRequest(f"the JSON body is refused: {problem}; send a flatter object")
    if not isinstance(body, dict):
        raise errors.BadRequest("the body must be a JSON object")
    return body


def _no_constant(name: str):
    # NaN and Infinity are not JSON (RFC 8259), though Python's parser takes them.
    raise ValueError(f"{name} is not a JSON number")


def _json_problem(body, *, max_depth: int) -> str | None:
    """Why a parsed JSON document is refused (too deep, a control character), or None. Walked
    with a stack, not recursion, so no document can exhaust Python's."""
    stack = [(body, 1, "body")]
    while stack:
        value, depth, where = stack.pop()
        if depth > max_depth:
            return f"it is nested deeper than {max_depth} levels (at {where})"
        if isinstance(value, dict):
            for key, item in value.items():
                if _CONTROL.search(key):
                    return f"the key {key[:40]!r} in {where} holds a control character"
                stack.append((item, depth + 1, f"{where}.{key[:40]}"))
        elif isinstance(value, list):
            stack.extend((item, depth + 1, f"{where}[{i}]") for i, item in enumerate(value))
        elif isinstance(value, str) and _CONTROL.search(value):
            return f"the text at {where} holds a control character (e.g. NUL): remove it"
    return None


def json_response(body, status: int = 200, **kwargs) -> JsonResponse:
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False}, **kwargs)
