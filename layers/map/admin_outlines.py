"""Staff-only JSON that the admin's offline map widgets draw on (no public tiles here)."""

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.http import JsonResponse
from django.views.decorators.http import require_GET

from layers.selectors.outlines import LonLatBBox, outlines_in_bbox


@staff_member_required
@require_GET
def outlines(request):
    """GET ?bbox=west,south,east,north (EPSG:4326) [&resolution=metres per pixel, EPSG:3857].

    200 with a GeoJSON FeatureCollection of street, community and grid outlines; 400 with an
    `error` when the parameters cannot be read. Anyone not staff is sent to the admin login.
    """
    try:
        bbox = LonLatBBox.from_param(request.GET.get("bbox", ""))
        resolution_m = _resolution_m(request.GET.get("resolution"), bbox=bbox)
    except ValueError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    collection = outlines_in_bbox(
        bbox=bbox,
        resolution_m=resolution_m,
        max_features=settings.GRIDATLAS_ADMIN_OUTLINES_MAX_FEATURES,
    )
    return JsonResponse(collection, content_type="application/geo+json")


def _resolution_m(raw: str | None, *, bbox: LonLatBBox) -> float:
    """Metres per pixel as sent by the map; without one, a 1000-pixel-wide window is assumed."""
    floor_m = settings.GRIDATLAS_ADMIN_OUTLINES_MIN_RESOLUTION_M
    if raw is None or raw == "":
        xmin, _, xmax, _ = bbox.mercator_polygon().extent
        return max((xmax - xmin) / 1000, floor_m)
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"resolution must be metres per pixel, got {raw!r}") from None
    if not value > 0 or value == float("inf"):
        raise ValueError("resolution must be a positive number of metres per pixel")
    return max(value, floor_m)
