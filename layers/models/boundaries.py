"""The nested governance map: District ⊃ Street ⊃ Community ⊃ Grid ⊃ MicroGrid, and the Parcels
that grids and micro-grids are made of.

Grids and micro-grids are sets of parcels (docs/design.md). Their `geom`, `households` and
`building_count` are derived by database triggers (see migration 0002) from the parcels, and the
parcels' from the buildings, so shared edges stay shared and totals cannot be typed in. A layout
imported as freehand polygons is marked `geom_source=freehand` until it is turned into parcels:
its polygon is then the imported one, and the boundary rules report where it disagrees.
"""

import pghistory
from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.gis.gdal import GDALException
from django.core.exceptions import ValidationError

from geo.codes import CodeValidator, check_code_prefix
from geo.domain import grid_band, microgrid_band
from geo.geometry import validate_geometry
from geo.srid import STORAGE_SRID, to_metric, transformed

from .base import (
    ValidatedModel,
    coded_geometry_constraints,
    mercator_copy,
    mercator_index,
    polygon_field,
)


def tracked(*, exclude=("geom_3857",)):
    """Every boundary change lands in history (who, when, what), by trigger: admin, API, import
    and raw SQL alike. The generated Mercator copy is left out: it is a function of `geom`."""
    return pghistory.track(
        pghistory.InsertEvent(),
        pghistory.UpdateEvent(),
        pghistory.DeleteEvent(),
        exclude=list(exclude),
    )


def outside_parent_error(*, child, parent, label: str, parent_label: str) -> None:
    """Rule 1 (inside its parent) for one feature, computed by GEOS in the metric CRS."""
    if child.geom is None or parent is None or parent.geom is None or child.geom.empty:
        return
    # full_clean runs clean() even when the geometry failed its field validator, which already
    # reported it: GEOS cannot overlay an invalid shape, nor PROJ project metres sent as degrees.
    if not child.geom.valid:
        return
    try:
        inner = to_metric(child.geom)
    except GDALException:
        return
    tol_m = settings.GRIDATLAS_BOUNDARY_TOLERANCE_M
    outer = to_metric(parent.geom).buffer(tol_m)
    outside = inner.difference(outer)
    if outside.area > settings.GRIDATLAS_MIN_VIOLATION_AREA_M2:
        where = transformed(outside.point_on_surface, child.geom.srid)
        raise ValidationError(
            {
                "geom": ValidationError(
                    "The %(label)s reaches %(area).0f m² outside its %(parent_label)s %(parent)s, "
                    "near (%(x).6f, %(y).6f). Redraw it inside, or choose the right parent.",
                    code="outside_parent",
                    params={
                        "label": label,
                        "area": outside.area,
                        "parent_label": parent_label,
                        "parent": parent.code,
                        "x": where.x,
                        "y": where.y,
                    },
                )
            }
        )


class GeomSource(models.TextChoices):
    PARCELS = "parcels", "derived from parcels"
    FREEHAND = "freehand", "freehand (imported, not yet parcelled)"


class LoadStatus(models.TextChoices):
    UNDER = "under", "below band"
    OK = "ok", "in band"
    OVER = "over", "above band"


class Division(ValidatedModel):
    """A named, coded area with a validated MultiPolygon and its tile copy."""

    code = models.CharField(max_length=18, unique=True)
    name = models.CharField(max_length=100)
    # The code the source system gave the feature (e.g. a district system's "SQ-3-2"), kept so an
    # export can go back to that system; blank when the file carried official codes.
    source_code = models.CharField(
        max_length=64, blank=True, default="", db_default="", db_index=True
    )
    geom = polygon_field()
    geom_3857 = mercator_copy(models.MultiPolygonField)

    class Meta:
        abstract = True
        ordering = ["code"]

    def __str__(self):
        return f"{self.name} ({self.code})"


@tracked()
class District(Division):
    code = models.CharField(
        "code (6 digits)", max_length=6, unique=True, validators=[CodeValidator("district")]
    )

    class Meta(Division.Meta):
        verbose_name = "district (区)"
        indexes = [mercator_index("district")]
        constraints = [
            *coded_geometry_constraints("district", label="district"),
        ]


@tracked()
class Street(Division):
    code = models.CharField(
        "code (9 digits)", max_length=9, unique=True, validators=[CodeValidator("street")]
    )
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="streets")

    class Meta(Division.Meta):
        verbose_name = "street (街道)"
        indexes = [mercator_index("street")]
        constraints = [
            *coded_geometry_constraints("street", label="street"),
        ]

    def clean(self):
        if self.district_id:
            check_code_prefix(level="street", code=self.code, parent_code=self.district.code)
            outside_parent_error(
                child=self, parent=self.district, label="street", parent_label="district"
            )


@tracked()
class Community(Division):
    code = models.CharField(
        "code (12 digits)", max_length=12, unique=True, validators=[CodeValidator("community")]
    )
    street = models.ForeignKey(Street, on_delete=models.PROTECT, related_name="communities")
    # 城乡分类代码 from the statistics list (111 = city centre … 220 = village).
    urban_rural_code = models.CharField(max_length=3, blank=True)
    # Households as the source file gave them, for a layout loaded without buildings; the rules
    # use it only where no building is loaded (docs/design.md, "rules for the levels that exist").
    households_reported = models.PositiveIntegerField(null=True, blank=True)

    class Meta(Division.Meta):
        verbose_name = "community (社区)"
        verbose_name_plural = "communities (社区)"
        indexes = [mercator_index("community")]
        constraints = [
            *coded_geometry_constraints("community", label="community"),
        ]

    def clean(self):
        if self.street_id:
            check_code_prefix(level="community", code=self.code, parent_code=self.street.code)
            outside_parent_error(
                child=self, parent=self.street, label="community", parent_label="street"
            )


class DerivedUnit(Division):
    """Grid or micro-grid: geometry and totals derived from parcels (unless freehand)."""

    geom = polygon_field(
        null=True,
        blank=True,
        help_text="Derived from the parcels; editable only for a freehand layout.",
    )
    geom_source = models.CharField(
        max_length=10, choices=GeomSource.choices, default=GeomSource.PARCELS
    )
    households = models.PositiveIntegerField(
        default=0, editable=False, help_text="Sum of the buildings inside (derived)."
    )
    building_count = models.PositiveIntegerField(default=0, editable=False)
    # As on Community: the source file's count, used only while no building is loaded.
    households_reported = models.PositiveIntegerField(null=True, blank=True)

    class Meta(Division.Meta):
        abstract = True

    def derived_fields(self) -> set[str]:
        if self.geom_source == GeomSource.PARCELS:
            return {"households", "building_count", "geom"}
        return {"households", "building_count"}

    def validate_constraints(self, exclude=None):
        # A unit with no parcels yet has no polygon. PostgreSQL passes NULL through the
        # `geom_valid` CHECK, but Django cannot build ST_IsValid(NULL) to check it in Python
        # (TypeError), so leave that constraint to the database.
        if self.geom is None:
            exclude = {*(exclude or ()), "geom"}
        super().validate_constraints(exclude=exclude)


@tracked()
class Grid(DerivedUnit):
    code = models.CharField(
        "code (15 digits)", max_length=15, unique=True, validators=[CodeValidator("grid")]
    )
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="grids")

    class Meta(Division.Meta):
        verbose_name = "grid (网格)"
        indexes = [mercator_index("grid")]
        constraints = [
            *coded_geometry_constraints("grid", label="grid"),
        ]

    @property
    def load_status(self) -> str:
        return LoadStatus(grid_band().status(self.households))

    def clean(self):
        if self.community_id:
            check_code_prefix(level="grid", code=self.code, parent_code=self.community.code)
            outside_parent_error(
                child=self, parent=self.community, label="grid", parent_label="community"
            )


@tracked()
class MicroGrid(DerivedUnit):
    code = models.CharField(
        "code (18 digits)", max_length=18, unique=True, validators=[CodeValidator("microgrid")]
    )
    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="microgrids")

    class Meta(Division.Meta):
        verbose_name = "micro-grid (微网格)"
        indexes = [mercator_index("microgrid")]
        constraints = [
            *coded_geometry_constraints("microgrid", label="micro-grid"),
            # Target of the parcel's composite key: a parcel's micro-grid lies in its grid.
            models.UniqueConstraint(fields=["id", "grid"], name="microgrid_id_grid_unique"),
        ]

    @property
    def load_status(self) -> str:
        return LoadStatus(microgrid_band().status(self.households))

    def clean(self):
        if self.grid_id:
            check_code_prefix(level="microgrid", code=self.code, parent_code=self.grid.code)
            outside_parent_error(
                child=self, parent=self.grid, label="micro-grid", parent_label="grid"
            )


@tracked()
class Parcel(ValidatedModel):
    """An atomic face of a community (cut by roads, water, compound and grid edges). The grid and
    micro-grid it belongs to are its only editable attributes in a layout."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="parcels")
    grid = models.ForeignKey(
        Grid, on_delete=models.SET_NULL, null=True, blank=True, related_name="parcels"
    )
    micro_grid = models.ForeignKey(
        MicroGrid, on_delete=models.SET_NULL, null=True, blank=True, related_name="parcels"
    )
    geom = models.PolygonField(srid=STORAGE_SRID, validators=[validate_geometry])
    geom_3857 = mercator_copy(models.PolygonField)
    households = models.PositiveIntegerField(default=0, editable=False)
    building_count = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = "parcel (地块)"
        indexes = [
            mercator_index("parcel"),
            models.Index(fields=["grid"]),
            models.Index(fields=["micro_grid"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(geom__isvalid=True),
                name="parcel_geom_valid",
                violation_error_message="parcel geometry is not valid",
            ),
        ]

    def __str__(self):
        return f"parcel {self.pk} of {self.community_id}"

    def derived_fields(self) -> set[str]:
        return {"households", "building_count"}

    def clean(self):
        if self.micro_grid_id and self.micro_grid.grid_id != self.grid_id:
            raise ValidationError(
                {
                    "micro_grid": (
                        f"Micro-grid {self.micro_grid.code} belongs to another grid than this "
                        f"parcel's grid: choose a micro-grid of grid "
                        f"{self.grid.code if self.grid else '(none)'}."
                    )
                }
            )
        if self.grid_id and self.grid.community_id != self.community_id:
            raise ValidationError(
                {
                    "grid": (
                        f"Grid {self.grid.code} belongs to another community: a parcel can only "
                        f"join a grid of its own community {self.community.code}."
                    )
                }
            )
        if self.community_id and self.geom is not None:
            outside_parent_error(
                child=self, parent=self.community, label="parcel", parent_label="community"
            )
