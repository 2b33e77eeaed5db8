"""The road network walking distances run on (station coverage in network mode)."""

from django.contrib.gis.db import models

from geo.geometry import validate_geometry
from geo.srid import STORAGE_SRID

from .base import ValidatedModel, mercator_copy, mercator_index


class Road(ValidatedModel):
    """One road line as imported (load_roads) or generated (the demo city). Lines need not be
    noded: the network builder splits them where they cross (layers/analysis/network.py), so a
    file's roads can run through junctions as drawn.

    Not tracked in history: roads are reference data replaced wholesale by an import, like the
    stations, not edited boundaries.
    """

    class Kind(models.TextChoices):
        TRUNK = "trunk", "快速路"
        PRIMARY = "primary", "主干路"
        SECONDARY = "secondary", "次干路"
        RESIDENTIAL = "residential", "支路"
        FOOTWAY = "footway", "人行道/步行道"

    name = models.CharField(max_length=100, blank=True)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.RESIDENTIAL)
    walkable = models.BooleanField(
        default=True, help_text="Can people walk along it? (Not an expressway with no footway.)"
    )
    # MultiLineString, so one field takes both LineString and MultiLineString features.
    geom = models.MultiLineStringField(srid=STORAGE_SRID, validators=[validate_geometry])
    geom_3857 = mercator_copy(models.MultiLineStringField)

    class Meta:
        verbose_name = "road (道路)"
        ordering = ["kind", "name", "id"]
        indexes = [mercator_index("road")]

    def __str__(self):
        return self.name or f"{self.get_kind_display()} {self.pk}"
