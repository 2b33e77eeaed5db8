"""The site's own answers: /healthz, the error pages (handler400/403/404/500 in geo.urls), and
the client address that sign-in throttling counts failures by."""

from django.conf import settings
from django.db import connection, transaction
from django.http import HttpResponse
from django.template import loader
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from geo.http import json_response

# Machine-read paths answer errors as JSON ({"error": ...}), never as an HTML page.
API_PATH_PREFIXES = ("/api/", "/ogc", "/tiles/", "/healthz", "/metrics")


@transaction.non_atomic_requests  # ATOMIC_REQUESTS would connect (and fail) before the view
def healthz(request):
    """200 with the database and PostGIS versions; 503 with Retry-After while the database cannot
    answer. Nothing is cached: the first request after the database is back answers 200."""
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT version(), postgis_full_version()")
            pg, postgis = cur.fetchone()
    except Exception as exc:  # any database failure is "unhealthy"
        # A broken connection is not kept for the next request (CONN_MAX_AGE would reuse it).
        connection.close_if_unusable_or_obsolete()
        retry_s = settings.GRIDATLAS_HEALTHZ_RETRY_AFTER_S
        response = json_response(
            {
                "status": "unavailable",
                "error": f"The database is unreachable: retry in {retry_s} s, and if it persists "
                "check that PostgreSQL is running and DATABASE_URL points at it.",
                "detail": str(exc).strip(),
            },
            status=503,
        )
        response["Retry-After"] = str(retry_s)
        return response
    return json_response({"status": "ok", "postgresql": pg, "postgis": postgis})


def client_ip(request) -> str | None:
    """The client's address for sign-in throttling: REMOTE_ADDR, or behind
    GRIDATLAS_TRUSTED_PROXY_COUNT proxies the X-Forwarded-For entry the first proxy added (the
    entries before it are whatever the client sent, so they are not trusted)."""
    proxies = settings.GRIDATLAS_TRUSTED_PROXY_COUNT
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [a for a in forwarded if a]
    if proxies > 0 and len(forwarded) >= proxies:
        return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR")


def login_locked_out(request, original_response=None, credentials=None):
    """django-axes' answer to a locked-out sign-in (planners' and admin's): 429 with a page that
    says how long the lock lasts."""
    cooloff_s = settings.GRIDATLAS_LOGIN_COOLOFF_S
    context = {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cooloff_minutes": max(1, round(cooloff_s / 60)) if cooloff_s else 0,
    }
    return HttpResponse(
        loader.render_to_string("registration/locked_out.html", context, request), status=429
    )


# --- error pages: Chinese (or the chosen language), styled, JSON on API paths ------------------

# English (the API's language); pages show them translated.
ERROR_TITLES = {
    400: gettext_noop("Bad request"),
    403: gettext_noop("Permission denied"),
    404: gettext_noop("Page not found"),
    500: gettext_noop("Server error"),
}
ERROR_MESSAGES = {
    400: gettext_noop(
        "The request could not be understood. Check the address or the form and try again."
    ),
    403: gettext_noop(
        "You do not have permission for this. Sign in with an account that has it, or ask an "
        "administrator."
    ),
    404: gettext_noop("Nothing is at this address. Check it, or start again from the map."),
    500: gettext_noop(
        "Something went wrong on the server. Try again in a moment; if it persists, tell the "
        "administrator what you were doing."
    ),
}


def _is_api(request) -> bool:
    return request.path.startswith(API_PATH_PREFIXES)


def _error_response(request, status: int, exception=None) -> HttpResponse:
    if _is_api(request):
        # A 403/404 raised with a reason (PermissionDenied("…"), Http404("…")) says it.
        # (The resolver's own 404 carries a dict of the URL patterns tried: never shown.)
        args = getattr(exception, "args", ())
        reason = args[0].strip() if args and isinstance(args[0], str) else ""
        return json_response({"error": reason or ERROR_MESSAGES[status]}, status=status)
    return HttpResponse(_error_page(status, _(ERROR_MESSAGES[status]), request), status=status)


def _error_page(status: int, message: str, request=None) -> str:
    context = {"status": status, "title": _(ERROR_TITLES[status]), "message": message}
    return loader.render_to_string("error.html", context, request)


def bad_request(request, exception=None):
    return _error_response(request, 400)


def permission_denied(request, exception=None):
    return _error_response(request, 403, exception)


CSRF_MESSAGE = gettext_noop(
    "This form has expired or did not come from GridAtlas. Reload the page and send it again."
)


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: the site's 403 page in the user's language instead of Django's English
    one; for an API call, JSON saying to send the X-CSRFToken header."""
    if _is_api(request):
        message = (
            "CSRF check failed: sign in, then send the csrftoken cookie's value as the "
            "X-CSRFToken header"
        )
        return json_response({"error": message}, status=403)
    return HttpResponse(_error_page(403, _(CSRF_MESSAGE), request), status=403)


def page_not_found(request, exception=None):
    return _error_response(request, 404, exception)


def server_error(request):
    """The 500 answer needs neither the database nor a request context (either may be what
    failed): the template is rendered with a plain context, so no user, session or CSRF token."""
    if _is_api(request):
        return json_response({"error": ERROR_MESSAGES[500]}, status=500)
    try:
        html = _error_page(500, _(ERROR_MESSAGES[500]))
    except Exception:  # the error page itself must never fail
        return HttpResponse(_(ERROR_MESSAGES[500]), status=500, content_type="text/plain")
    return HttpResponse(html, status=500)
