"""Heatmap endpoints for the dashboard map: the PNG overlay, its JSON description (corners,
scale, legend) and the GeoTIFF download. Views parse the query into a `HeatmapQuery`, call one
selector or service (layers.analysis.heatmap), and serialise; bad input is a 400 with a reason."""

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
from geo.params import float_parse
from geo.ratelimits import rate_limited
from layers.analysis import CITY, Area
from layers.analysis.coverage import MODES
from layers.analysis.heatmap import (
    bounds_lonlat,
    corner_coordinates,
    heatmap_png,
    heatmap_raster,
    heatmap_write,
)
from layers.analysis.query import AnalysisQuery


@dataclass(frozen=True)
class HeatmapQuery:
    """?distance=<walking metres>&cell=<ground metres>&mode=straight|network; distance and
    cell default to the settings, mode to straight (the straight line × the detour factor)."""

    kind: str
    distance_m: float
    cell_m: float
    mode: str
    # The dashboard's other filters: the uncovered heatmap follows them as every figure does.
    levels: tuple[str, ...] | None = None
    area: Area = CITY
    district: str | None = None
    street: str | None = None

    def query_string(self) -> str:
        params = {"distance": f"{self.distance_m:g}", "cell": f"{self.cell_m:g}", "mode": self.mode}
        if self.levels:
            params["level"] = ",".join(self.levels)
        if self.street:
            params["street"] = self.street
        elif self.district:
            params["district"] = self.district
        return urlencode(params)

    def selector_kw(self) -> dict:
        return {
            "kind": self.kind,
            "distance_m": self.distance_m,
            "cell_m": self.cell_m,
            "mode": self.mode,
            "levels": self.levels,
            "area": self.area,
        }

    def filename(self, ext: str) -> str:
        walk = "" if self.kind == "load" else f"-{self.distance_m:g}m-{self.mode}"
        return f"heatmap-{self.kind}{walk}-cell{self.cell_m:g}m.{ext}"


def _cell_m(raw: str | None) -> float:
    value = float_parse(
        raw,
        name="cell",
        low=0,
        low_inclusive=False,
        high=settings.GRIDATLAS_HEATMAP_MAX_CELL_M,
        unit="metres",
        default=settings.GRIDATLAS_HEATMAP_CELL_M,
    )
    # A floor as well as the cell cap: a 1e-300 m cell overflows the count the cap is checked on.
    floor = settings.GRIDATLAS_HEATMAP_MIN_CELL_M
    if value < floor:
        raise BadRequest(f"cell must be at least {floor:g} metres, not {value:g}")
    return value


def _query(request, kind: str) -> HeatmapQuery:
    # The dashboard's filters, parsed as every analysis answer parses them.
    q = AnalysisQuery.parse(request.GET)
    return HeatmapQuery(
        kind=kind,
        distance_m=q.distance_m,
        cell_m=_cell_m(request.GET.get("cell")),
        mode=_mode(request.GET.get("mode")),
        levels=q.levels,
        area=q.area,
        district=q.district,
        street=q.street,
    )


def _mode(raw: str | None) -> str:
    if raw in (None, ""):
        return "straight"
    if raw not in MODES:
        raise BadRequest(f"mode must be one of {', '.join(MODES)}, not {raw!r}")
    return raw


@rate_limited("files")
@require_GET
def heatmap_image(request, kind: str):
    """GET /api/analysis/heatmap/<kind>.png: a transparent PNG, one pixel a cell, north up in
    Web Mercator; X-Bounds: west,south,east,north in EPSG:4326 degrees."""
    q = _query(request, kind)
    png, (w, s, e, n) = heatmap_png(**q.selector_kw())
    response = HttpResponse(png, content_type="image/png")
    response["X-Bounds"] = f"{w:.7f},{s:.7f},{e:.7f},{n:.7f}"
    return response


@rate_limited("files")
@require_GET
def heatmap_json(request, kind: str):
    """GET /api/analysis/heatmap/<kind>.json: what a MapLibre `image` source and a legend need."""
    q = _query(request, kind)
    heatmap = heatmap_raster(**q.selector_kw())
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
        "levels": list(q.levels) if q.levels else None,
        "district": q.district,
        "street": q.street,
        "cell_m": q.cell_m,
        "max": round(heatmap.raster.max, 4),
        "total": round(heatmap.total),
        "unit": heatmap.unit,
        "legend": heatmap.ramp.legend(),
    }
    return json_response(body)


@rate_limited("files")
@require_GET
def heatmap_tif(request, kind: str):
    """GET /api/analysis/heatmap/<kind>.tif: the raster as a GeoTIFF (EPSG:3857, float32)."""
    q = _query(request, kind)
    with tempfile.TemporaryDirectory() as tmp:
        path = heatmap_write(**q.selector_kw(), path=Path(tmp) / "h.tif")
        data = path.read_bytes()
    response = HttpResponse(data, content_type="image/tiff")
    response["Content-Disposition"] = f'attachment; filename="{q.filename("tif")}"'
    return response
