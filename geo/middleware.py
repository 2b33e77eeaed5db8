"""RequestInputMiddleware: a control character in the URL path, in a query parameter or in a
form field is refused with a 400 naming where it is, before any view, session or query sees it.

Why centrally: a NUL byte reaching PostgreSQL is an error in the driver (text cannot hold it),
and every view that passes a code, a name or a search text to a query would otherwise need its
own check. Tab, newline and carriage return are allowed in values (a textarea holds them); in a
path or a parameter's name no control character makes sense.
"""

from geo.http import json_response
from geo.params import control_char

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _refusal(where: str, char: str, **details):
    return json_response(
        {
            "error": f"{where} holds the control character U+{ord(char):04X}: remove it and "
            "send the request again",
            **details,
        },
        status=400,
    )


def _params_problem(params, kind: str):
    for name, values in params.lists():
        char = control_char(name)
        if char:
            return _refusal(f"the name of a {kind} parameter ({name[:40]!r})", char)
        for value in values:
            char = control_char(value, allow_whitespace=True)
            if char:
                return _refusal(f"the {kind} parameter {name}", char, parameter=name)
    return None


class RequestInputMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        char = control_char(request.path_info)
        if char:
            return _refusal("the URL path", char)
        problem = _params_problem(request.GET, "query")
        if problem is None and request.content_type in FORM_TYPES:
            # Parsing the form here is what the CSRF middleware does for every POST anyway.
            problem = _params_problem(request.POST, "form")
        return problem or self.get_response(request)
