"""Geometry checks every boundary shares: validity with the reason and the place, emptiness,
slivers. Used as field validators, so the admin, the API and imports all get the same errors."""

from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry
from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

from geo.srid import STORAGE_SRID, to_metric

# Plausible lon/lat for China (with a margin): a projected coordinate sent as degrees lands far
# outside, which is the commonest "wrong coordinate system" mistake.
CHINA_BOUNDS_LONLAT = (70.0, 15.0, 140.0, 56.0)


def _where(geom: GEOSGeometry) -> str:
    p = geom.point_on_surface if not geom.empty else None
    return f"near ({p.x:.6f}, {p.y:.6f})" if p is not None else ""


@deconstructible
class GeometryValidator:
    """Field validator: OGC-valid, non-empty, no empty or sliver parts, inside China."""

    def __call__(self, geom: GEOSGeometry) -> None:
        if geom is None:
            return
        if geom.empty:
            raise ValidationError("The geometry is empty: draw at least one polygon.", code="empty")
        srid = geom.srid or STORAGE_SRID
        if srid in (STORAGE_SRID, 4490):
            xmin, ymin, xmax, ymax = geom.extent
            bx0, by0, bx1, by1 = CHINA_BOUNDS_LONLAT
            if xmin < bx0 or ymin < by0 or xmax > bx1 or ymax > by1:
                raise ValidationError(
                    "Coordinates (%(x).1f, %(y).1f) are not longitude/latitude in China: was the "
                    "file in a projected system (e.g. Gauss-Krüger metres)? Declare its CRS.",
                    code="wrong_crs",
                    params={"x": xmin, "y": ymin},
                )
        if not geom.valid:
            raise ValidationError(
                "The geometry is not valid: %(reason)s. Fix the outline (e.g. remove the "
                "self-intersection) and save again.",
                code="invalid",
                params={"reason": geom.valid_reason},
            )
        if "Polygon" not in geom.geom_type:
            return
        min_area_m2 = settings.GRIDATLAS_SLIVER_MIN_AREA_M2
        metric = to_metric(geom)
        parts = list(metric) if metric.geom_type.startswith("Multi") else [metric]
        for i, part in enumerate(parts, start=1):
            if part.area < min_area_m2:
                raise ValidationError(
                    "Part %(i)d of the geometry is a sliver of %(area).2f m² (minimum "
                    "%(min).1f m²) %(where)s: delete it or merge it into its neighbour.",
                    code="sliver",
                    params={
                        "i": i,
                        "area": part.area,
                        "min": min_area_m2,
                        "where": _where(geom if len(parts) == 1 else geom[i - 1]),
                    },
                )

    def __eq__(self, other):
        return isinstance(other, GeometryValidator)


validate_geometry = GeometryValidator()
