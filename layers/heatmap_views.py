"""Heatmap endpoints for the dashboard map: the PNG overlay, its JSON description (corners,
scale, legend) and the GeoTIFF download. Views parse the query into a `HeatmapQuery`, call one
selector or service (layers.analysis.heatmap), and serialise; bad input is a 400 with a reason."""

import math
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from geo.errors import BadRequest
from geo.http import json_response
from layers.analysis import analysis_max_distance_m
from layers.analysis.coverage import MODES
from layers.analysis.heatmap import (
    bounds_lonlat,
    corner_coordinates,
    heatmap_png,
    heatmap_raster,
    heatmap_write,
)


@dataclass(frozen=True)
class HeatmapQuery:
    """?distance=<walking metres>&cell=<ground metres>&mode=straight|network; distance and
    cell default to the settings, mode to straight (the straight line × the detour factor)."""

    kind: str
    distance_m: float
    cell_m: float
    mode: str

    def query_string(self) -> str:
        return urlencode(
            {"distance": f"{self.distance_m:g}", "cell": f"{self.cell_m:g}", "mode": self.mode}
        )

    def filename(self, ext: str) -> str:
        walk = "" if self.kind == "load" else f"-{self.distance_m:g}m-{self.mode}"
        return f"heatmap-{self.kind}{walk}-cell{self.cell_m:g}m.{ext}"


def _number(raw: str | None, *, name: str, default: float, top: float | None = None) -> float:
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise BadRequest(f"{name} must be a number of metres, not {raw!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise BadRequest(f"{name} must be more than 0 metres, not {raw!r}")
    if top is not None and value > top:
        raise BadRequest(f"{name} must be at most {top:g} metres, not {raw!r}")
    return value


def _query(request, kind: str) -> HeatmapQuery:
    return HeatmapQuery(
        kind=kind,
        distance_m=_number(
            request.GET.get("distance"),
            name="distance",
            default=settings.GRIDATLAS_WALK_10MIN_M,
            top=analysis_max_distance_m(),
        ),
        cell_m=_number(
            request.GET.get("cell"), name="cell", default=settings.GRIDATLAS_HEATMAP_CELL_M
        ),
        mode=_mode(request.GET.get("mode")),
    )


def _mode(raw: str | None) -> str:
    if raw in (None, ""):
        return "straight"
    if raw not in MODES:
        raise BadRequest(f"mode must be one of {', '.join(MODES)}, not {raw!r}")
    return raw


@require_GET
def heatmap_image(request, kind: str):
    """GET /api/analysis/heatmap/<kind>.png: a transparent PNG, one pixel a cell, north up in
    Web Mercator; X-Bounds: west,south,east,north in EPSG:4326 degrees."""
    q = _query(request, kind)
    png, (w, s, e, n) = heatmap_png(
        kind=q.kind, distance_m=q.distance_m, cell_m=q.cell_m, mode=q.mode
    )
    response = HttpResponse(png, content_type="image/png")
    response["X-Bounds"] = f"{w:.7f},{s:.7f},{e:.7f},{n:.7f}"
    return response


@require_GET
def heatmap_json(request, kind: str):
    """GET /api/analysis/heatmap/<kind>.json: what a MapLibre `image` source and a legend need."""
    q = _query(request, kind)
    heatmap = heatmap_raster(kind=q.kind, distance_m=q.distance_m, cell_m=q.cell_m, mode=q.mode)
    bounds = tuple(round(v, 7) for v in bounds_lonlat(heatmap.raster))
    rows, cols = heatmap.raster.shape
    png_url = reverse("api-heatmap-png", kwargs={"kind": q.kind})
    tif_url = reverse("api-heatmap-tif", kwargs={"kind": q.kind})
    body = {
        "kind": q.kind,
        "url": f"{png_url}?{q.query_string()}",
        "tif": f"{tif_url}?{q.query_string()}",
        "coordinates": corner_coordinates(bounds),
        "bounds": list(bounds),
        "width": cols,
        "height": rows,
        "distance_m": heatmap.distance_m,
        "mode": heatmap.mode,
        "cell_m": q.cell_m,
        "max": round(heatmap.raster.max, 4),
        "total": round(heatmap.total),
        "unit": heatmap.unit,
        "legend": heatmap.ramp.legend(),
    }
    return json_response(body)


@require_GET
def heatmap_tif(request, kind: str):
    """GET /api/analysis/heatmap/<kind>.tif: the raster as a GeoTIFF (EPSG:3857, float32)."""
    q = _query(request, kind)
    with tempfile.TemporaryDirectory() as tmp:
        path = heatmap_write(
            kind=q.kind,
            distance_m=q.distance_m,
            cell_m=q.cell_m,
            mode=q.mode,
            path=Path(tmp) / "h.tif",
        )
        data = path.read_bytes()
    response = HttpResponse(data, content_type="image/tiff")
    response["Content-Disposition"] = f'attachment; filename="{q.filename("tif")}"'
    return response
