"""Rate limits on the expensive endpoints: per signed-in user, per IP address when anonymous.

A view declares its group with `@rate_limited("files")`; RateLimitMiddleware counts the call
before the view runs (before the body is read, for anonymous callers) and answers 429 with
Retry-After once the group's rate for the caller is spent. Why a middleware and not
django-ratelimit's decorator: with ATOMIC_REQUESTS the view runs inside the request's
transaction, so a count written there would be rolled back whenever the view fails (a
spreadsheet bomb ending in a 400 would never count), and it would be invisible to the other
workers until commit. Middleware runs in autocommit.

Counting is django-ratelimit's (`get_usage`: fixed windows with jitter, the user-or-IP key) on
the "ratelimit" cache: the CounterCache table in PostgreSQL (created by `manage.py
createcachetable`, a step of `make setup`, and by the test runner), shared by every gunicorn
worker and every instance on the same database, with no new server to run.

Groups (settings, calls per minute, anonymous and signed-in): see RATE_GROUPS.
"""

import logging
import math
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache.backends.db import DatabaseCache
from django.db import DatabaseError, connections, router, transaction
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.translation import gettext as _
from django_ratelimit.core import get_usage

from geo.uploads import refusal_response

log = logging.getLogger(__name__)

# group → (setting for anonymous callers, setting for signed-in users), calls per minute.
RATE_GROUPS = {
    # Files posted to be parsed: the batch lookup, the import page's check and import.
    "uploads": ("GRIDATLAS_RATE_UPLOADS_PER_MIN_ANON", "GRIDATLAS_RATE_UPLOADS_PER_MIN_USER"),
    # Answers that cost more than ~100 ms on the small city (exports, the report workbook,
    # heatmap files, siting, network coverage, the boundary check, large OGC pages).
    "files": ("GRIDATLAS_RATE_FILES_PER_MIN_ANON", "GRIDATLAS_RATE_FILES_PER_MIN_USER"),
}


@dataclass(frozen=True)
class RateRule:
    group: str
    methods: tuple[str, ...] | None = None  # None: every method counts
    when: object = None  # callable(request) -> bool: only such calls count (e.g. a large page)


def rate_limited(group: str, *, methods: tuple[str, ...] | None = None, when=None):
    """Mark a view as counted in `group` (a key of RATE_GROUPS). The mark is a function
    attribute, which functools.wraps carries through the other decorators."""
    if group not in RATE_GROUPS:
        raise ValueError(f"unknown rate-limit group {group!r}; add it to RATE_GROUPS")

    def mark(view):
        view.gridatlas_rate_rule = RateRule(group, methods, when)
        return view

    return mark


def rate_per_minute(group: str, *, signed_in: bool) -> int:
    anonymous, user = RATE_GROUPS[group]
    return int(getattr(settings, user if signed_in else anonymous))


class CounterCache(DatabaseCache):
    """Django's DatabaseCache, with an increment that cannot lose counts: the row is locked for
    the read-and-write (Django's incr is a get then a set), and it keeps the row's expiry (a set
    would give it the cache's default timeout, and the counter would outlive its window)."""

    def incr(self, key, delta=1, version=None):
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        table = connection.ops.quote_name(self._table)
        with transaction.atomic(using=db), connection.cursor() as cursor:
            cursor.execute(
                f"SELECT expires FROM {table} WHERE cache_key = %s FOR UPDATE",  # noqa: S608 - table from settings
                [self.make_and_validate_key(key, version=version)],
            )
            row = cursor.fetchone()
            value = self.get(key, version=version)
            if row is None or value is None:
                raise ValueError(f"Key '{key}' not found")
            left = row[0] - timezone.now() if row[0] else timedelta(0)
            # Rounded up: the table keeps whole seconds, so now + ceil(left) is the same expiry.
            timeout = max(1, math.ceil(left.total_seconds()))
            self.set(key, value + delta, timeout=timeout, version=version)
        return value + delta


def _too_many(request, *, group: str, per_minute: int, retry_after_s: int, signed_in: bool):
    who = "this user" if signed_in else "this address (sign in for a higher limit)"

    def page_message() -> str:
        return _("Too many requests: at most %(n)s a minute. Wait %(s)s seconds and try again.") % {
            "n": per_minute,
            "s": retry_after_s,
        }

    response = refusal_response(
        request,
        status=429,
        message=f"too many requests: {who} may make {per_minute} {group} calls a minute; wait "
        f"{retry_after_s} s (Retry-After) and send it again",
        page_message=page_message,
        limit_per_minute=per_minute,
        retry_after_s=retry_after_s,
    )
    response["Retry-After"] = str(retry_after_s)
    return response


class RateLimitMiddleware:
    """Counts the calls of views marked with @rate_limited (see the module docstring). A caller
    with no session cookie is anonymous for sure: counted in __call__, before the upload limit
    and the control-character check read the body, so a refused anonymous upload costs no read.
    Everyone else is counted in process_view, once the session says who it is."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            try:
                view = resolve(request.path_info).func
            except Resolver404:
                view = None
            refused = self._count(request, view, signed_in=False)
            if refused is not None:
                return refused
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if getattr(request, "gridatlas_rate_counted", False):
            return None
        # request.user only for a limited view: reading it touches the session, which adds
        # `Vary: Cookie` and would make tiles and JSON unshareable by caches.
        return self._count(request, view_func, signed_in=None)

    def _count(self, request, view, *, signed_in: bool | None):
        rule = getattr(view, "gridatlas_rate_rule", None)
        if rule is None or (rule.methods and request.method not in rule.methods):
            return None
        if rule.when is not None and not rule.when(request):
            return None
        if signed_in is None:
            signed_in = request.user.is_authenticated
        # A WSGI server that gives no client address (tests, odd proxies) is counted as one.
        request.META.setdefault("REMOTE_ADDR", "0.0.0.0")  # noqa: S104 - a key, never bound
        request.gridatlas_rate_counted = True
        per_minute = rate_per_minute(rule.group, signed_in=signed_in)
        try:
            usage = get_usage(
                request,
                group=f"gridatlas.{rule.group}",
                key="user" if signed_in else "ip",
                rate=f"{per_minute}/m",
                increment=True,
            )
        except DatabaseError:
            # Fail open: a missing cache table must not take the service down with it.
            log.exception("rate limit not counted (run `manage.py createcachetable`)")
            return None
        if usage is None or not usage["should_limit"]:
            return None
        retry_after_s = max(1, int(usage["time_left"]))
        return _too_many(
            request,
            group=rule.group,
            per_minute=per_minute,
            retry_after_s=retry_after_s,
            signed_in=signed_in,
        )


def ogc_page_is_large(request) -> bool:
    """An OGC items page counts when it asks for more than GRIDATLAS_RATE_OGC_FREE_FEATURES
    (QGIS pages through small ones; ogr2ogr's PAGE_SIZE=10000 pages are the expensive kind)."""
    try:
        limit = int(request.GET.get("limit", "0"))
    except ValueError:
        return False  # the view refuses it with a 400
    return limit > settings.GRIDATLAS_RATE_OGC_FREE_FEATURES


def coverage_is_network(request) -> bool:
    """Walking distances along the roads cost ~1 s on the small city; straight ones ~50 ms."""
    return request.GET.get("mode", "").strip() == "network"
