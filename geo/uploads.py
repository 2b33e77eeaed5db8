"""Upload size limits, enforced before and while the body is read.

Two gates, because a client can lie or say nothing:
- UploadLimitMiddleware refuses a multipart request whose Content-Length is over the limit of its
  path with a 413 before one byte of the body is read (the honest case costs nothing);
- LimitedUploadHandler (first in FILE_UPLOAD_HANDLERS) counts the file bytes as Django streams
  them and stops the parse past the limit, so nothing beyond it reaches memory or disk.

The middleware also parses the multipart body itself (inside a try), because Django turns an
exception raised while parsing in a later middleware (the CSRF check, the control-character
check) into a 500: here the refusal is a 413 that names the limit, as JSON for the API and as a
page, in the user's language, for the pages (/import/).

Limits by path (settings, in bytes): the layer import page GRIDATLAS_IMPORT_UPLOAD_MAX_BYTES,
every other upload (the batch lookup) GRIDATLAS_BATCH_UPLOAD_MAX_BYTES.
"""

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _

from geo.errors import DomainError
from geo.http import json_response

# Path prefix → the setting that limits its uploads; the first match wins, the last is the default.
UPLOAD_LIMITS = (
    ("/import/", "GRIDATLAS_IMPORT_UPLOAD_MAX_BYTES"),
    ("/", "GRIDATLAS_BATCH_UPLOAD_MAX_BYTES"),
)


class UploadTooLarge(DomainError):
    status = 413


def upload_limit_for(path: str) -> tuple[str, int]:
    """(setting name, bytes) of the upload limit for a request path, read at call time."""
    name = next(name for prefix, name in UPLOAD_LIMITS if path.startswith(prefix))
    return name, int(getattr(settings, name))


def _megabytes(n: int) -> str:
    return f"{n / (1024 * 1024):g}"


def upload_too_large(path: str) -> UploadTooLarge:
    name, limit = upload_limit_for(path)
    return UploadTooLarge(
        f"the upload is larger than {_megabytes(limit)} MB ({name} = {limit:,} bytes), the most "
        "this address accepts: split the file into smaller ones (or zip it) and send them one by "
        "one",
        limit_bytes=limit,
        setting=name,
    )


class LimitedUploadHandler(FileUploadHandler):
    """Counts the bytes of every file in one request (a Shapefile's parts together) and stops the
    parse as soon as they pass the path's limit; the chunks go on to Django's own handlers."""

    def __init__(self, request=None):
        super().__init__(request)
        self.received_bytes = 0
        self.limit_bytes = upload_limit_for(request.path if request else "/")[1]

    def receive_data_chunk(self, raw_data, start):
        self.received_bytes += len(raw_data)
        if self.received_bytes > self.limit_bytes:
            raise upload_too_large(self.request.path if self.request else "/")
        return raw_data

    def file_complete(self, file_size):
        return None  # the next handler (memory or temporary file) builds the file


def _is_page(request) -> bool:
    return not request.path.startswith(("/api/", "/ogc")) and "text/html" in request.headers.get(
        "Accept", ""
    )


def refusal_response(request, *, status: int, message: str, page_message: str, **details):
    """The answer to a refused request: JSON ({"error": …}) for the API and scripts, a page in
    the user's language for a browser on a page (the message is then the translated one)."""
    if not _is_page(request):
        return json_response({"error": message, **details}, status=status)
    # Runs before the language middleware: the language cookie is read here as it reads it.
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
    with translation.override(language):
        context = {"status": status, "message": page_message(), "back": request.path}
        response = render(request, "limit_refused.html", context, status=status)
    return response


def _refuse_upload(request, exc: UploadTooLarge):
    limit_mb = _megabytes(exc.details["limit_bytes"])

    def page_message() -> str:
        return _(
            "The file is larger than %(mb)s MB, the most this page accepts. Split it into "
            "smaller files (or zip it) and upload them one by one."
        ) % {"mb": limit_mb}

    return refusal_response(
        request, status=413, message=exc.message, page_message=page_message, **exc.details
    )


class UploadLimitMiddleware:
    """Before any middleware that reads request.POST: see the module docstring."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "POST" and request.content_type == "multipart/form-data":
            _, limit = upload_limit_for(request.path)
            try:
                if int(request.META.get("CONTENT_LENGTH") or 0) > limit:
                    raise upload_too_large(request.path)
                request.FILES  # noqa: B018 - parse now, where a refusal can still be a 413
            except UploadTooLarge as exc:
                return _refuse_upload(request, exc)
        return self.get_response(request)
