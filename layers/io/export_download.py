"""GET /api/export/<layer>.<fmt>?crs=&district=&street=&community=: one layer as a file download
(the map page's Download panel). Workers' layer only for users with `layers.view_worker`."""

from django.http import FileResponse
from django.views.decorators.http import require_GET

from geo.errors import Forbidden
from geo.ratelimits import rate_limited
from layers.permissions import WORKER_PERMISSION
from layers.selectors.layer_rows import Scope, layer_is_personal, layer_spec
from layers.services.layer_export import (
    ExportRequest,
    export_dir_make,
    export_dir_remove,
    layer_export,
)


@rate_limited("files")
@require_GET
def export_layer(request, layer: str, fmt: str):
    personal = request.user.has_perm(WORKER_PERMISSION)
    spec = layer_spec(layer=layer, personal=True)
    if layer_is_personal(spec=spec) and not personal:
        # A download link is followed by a person: say what to do rather than pretend a 404.
        raise Forbidden(
            f"{layer} holds personal data: sign in as a user with the {WORKER_PERMISSION} "
            "permission",
            layer=layer,
        )
    scope = Scope.parse(**{k: request.GET.get(k) for k in ("district", "street", "community")})
    export = ExportRequest.parse(layer=layer, fmt=fmt, crs=request.GET.get("crs"), scope=scope)
    out_dir = export_dir_make()
    try:
        path = layer_export(request=export, target=out_dir / export.filename, personal=personal)
        # Open before the directory goes: on POSIX the open file outlives its name, and the
        # response streams it from disk instead of holding it in memory.
        handle = path.open("rb")
    finally:
        export_dir_remove(out_dir)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=export.filename,
        content_type=export.fmt.content_type,
    )
