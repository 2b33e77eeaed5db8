"""/import/: a planner uploads a layer file, sees the validation report of a dry run, and
confirms to write it. Views parse, call layers.services.layer_import, render.

The upload is kept in this instance's private folder (GRIDATLAS_IMPORT_UPLOAD_DIR, under var/)
between the dry run and the confirmation, swept after GRIDATLAS_IMPORT_UPLOAD_MAX_AGE_S,
named by a random token held in the user's session, so "Import" writes exactly the file that
was checked and nobody else can point at it.
"""

import secrets
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.text import get_valid_filename
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from geo.errors import BadRequest, Forbidden
from geo.ratelimits import rate_limited
from layers.catalogue import COLUMNS, LAYERS
from layers.io.code_map import code_map_parse
from layers.io.division_checks import county_resolve
from layers.io.fieldmap import field_map_parse
from layers.permissions import import_authorise, layers_importable, may_import
from layers.services.layer_import import layer_import
from layers.services.onboard import onboard_allowed

SESSION_KEY = "gridatlas_import"


@dataclass(frozen=True)
class ImportForm:
    layer: str
    crs: str
    encoding: str
    field_map: str
    make_valid: bool
    county: str = ""
    code_map: str = ""

    @classmethod
    def parse(cls, data) -> "ImportForm":
        layer = data.get("layer", "")
        if layer not in COLUMNS:
            raise BadRequest(str(_("Choose a layer.")))
        form = cls(
            layer=layer,
            crs=data.get("crs", "").strip(),
            encoding=data.get("encoding", "").strip(),
            field_map=data.get("field_map", "").strip(),
            make_valid=data.get("make_valid") == "on",
            county=data.get("county", "").strip(),
            code_map=data.get("code_map", "").strip(),
        )
        field_map_parse(form.field_map)  # a malformed map is refused before the upload is kept
        code_map_parse(form.code_map)  # inline only: a path is refused unread
        county_resolve(form.county)
        return form

    def as_kwargs(self) -> dict:
        return {
            "layer": self.layer,
            "crs": self.crs or None,
            "encoding": self.encoding or None,
            "field_map": field_map_parse(self.field_map),
            "make_valid": self.make_valid,
            "county": self.county or None,
            "code_map": code_map_parse(self.code_map),
        }


def _upload_root() -> Path:
    """This instance's folder for uploads between check and confirmation: under var/, not a
    /tmp shared by every instance on the host, and readable by the server's user only."""
    root = Path(settings.GRIDATLAS_IMPORT_UPLOAD_DIR)
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    root.chmod(0o700)  # mkdir's mode is cut by the umask, and an older folder may be wider
    return root


def _sweep() -> None:
    """Delete the uploads checked but never confirmed within GRIDATLAS_IMPORT_UPLOAD_MAX_AGE_S."""
    max_age_s = settings.GRIDATLAS_IMPORT_UPLOAD_MAX_AGE_S
    for folder in _upload_root().iterdir():
        if time.time() - folder.stat().st_mtime > max_age_s:
            shutil.rmtree(folder, ignore_errors=True)


def _keep_upload(files) -> tuple[str, Path]:
    """Save the uploaded file(s) under a new token: one file is opened as it is, several (a
    Shapefile's .shp, .shx, .dbf, .prj sent together) as a folder."""
    if not files:
        raise BadRequest(str(_("Choose a file to import.")))
    _sweep()
    token = secrets.token_urlsafe(16)
    folder = _upload_root() / token
    folder.mkdir(parents=True, mode=0o700)
    for f in files:
        with open(folder / get_valid_filename(f.name), "wb") as out:
            for chunk in f.chunks():
                out.write(chunk)
    return token, _upload_path(folder)


def _upload_path(folder: Path) -> Path:
    saved = sorted(folder.iterdir())
    return saved[0] if len(saved) == 1 else folder


def _context(request, **extra) -> dict:
    # Only the layers this user may import (layers.permissions): the service checks again.
    allowed = layers_importable(user=request.user, layers=COLUMNS)
    layers = [(key, LAYERS[key].plural) for key in allowed]
    return {"layers": layers, "may_onboard": onboard_allowed(request.user), **extra}


@rate_limited("uploads", methods=("POST",))
@login_required
@require_http_methods(["GET", "POST"])
def import_page(request):
    """GET: the form. POST action=check: keep the upload, show the dry run's report.
    POST action=import: write the upload checked before (its token is in the session)."""
    if not may_import(request.user):
        raise PermissionDenied("importing needs the planner permission (layers.change_parcel)")
    if request.method == "GET":
        return render(request, "layers/import.html", _context(request))
    try:
        form = ImportForm.parse(request.POST)
        import_authorise(user=request.user, layer=form.layer)  # before the upload is kept
        if request.POST.get("action") == "import":
            return _confirm(request, form)
        token, path = _keep_upload(request.FILES.getlist("file"))
        report = layer_import(
            path=path, dry_run=True, user=request.user, source_name=path.name, **form.as_kwargs()
        )
    except (BadRequest, Forbidden) as exc:
        return render(
            request, "layers/import.html", _context(request, error=exc.message), status=exc.status
        )
    request.session[SESSION_KEY] = {"token": token, "form": asdict(form)}
    return render(
        request, "layers/import.html", _context(request, form=form, report=report, token=token)
    )


def _confirm(request, form: ImportForm):
    """Write the upload checked before, with the options it was checked with (a layer changed
    in the form since would otherwise import a file whose report nobody saw)."""
    token = request.POST.get("token", "")
    kept = request.session.get(SESSION_KEY) or {}
    if not token or kept.get("token") != token:
        raise BadRequest(str(_("This upload has expired: choose the file and check it again.")))
    form = ImportForm(**kept["form"])
    folder = _upload_root() / token
    if not folder.is_dir():
        raise BadRequest(str(_("This upload has expired: choose the file and check it again.")))
    path = _upload_path(folder)
    report = layer_import(
        path=path, dry_run=False, user=request.user, source_name=path.name, **form.as_kwargs()
    )
    if report.written:
        shutil.rmtree(folder, ignore_errors=True)
        request.session.pop(SESSION_KEY, None)
    context = _context(request, form=form, report=report, token=None if report.written else token)
    return render(request, "layers/import.html", context)
