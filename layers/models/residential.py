"""Where people live: compounds (小区), buildings (楼栋) and addresses (门牌)."""

from django.contrib.gis.db import models
from django.contrib.postgres.indexes import GinIndex, GistIndex
from django.core.exceptions import ValidationError

from geo.codes import CodeValidator, check_code_prefix
from geo.geometry import validate_geometry
from geo.srid import STORAGE_SRID

from .base import (
    ValidatedModel,
    coded_geometry_constraints,
    mercator_copy,
    mercator_index,
    point_field,
)
from .boundaries import Community, Division, Parcel, outside_parent_error, tracked


@tracked()
class Xiaoqu(Division):
    class Kind(models.TextChoices):
        COMMERCIAL = "commercial", "商品房"
        OLD = "old", "老旧小区"
        WORK_UNIT = "work_unit", "单位小区"
        REDEVELOPED = "redeveloped", "城改小区"

    code = models.CharField(
        "code (15 digits)", max_length=15, unique=True, validators=[CodeValidator("xiaoqu")]
    )
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="xiaoqus")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    property_company = models.CharField(
        "property company (物业公司)",
        max_length=100,
        blank=True,
        help_text="Blank: no property management.",
    )
    owners_committee = models.CharField(
        "owners' committee (业委会)", max_length=100, blank=True, help_text="Blank: none formed."
    )
    party_organisation = models.CharField(
        "party organisation (小区党组织)",
        max_length=100,
        blank=True,
        help_text="Blank: none set up.",
    )

    class Meta(Division.Meta):
        verbose_name = "compound (小区)"
        verbose_name_plural = "compounds (小区)"
        indexes = [
            mercator_index("xiaoqu"),
            # Address search: nearest names by trigram distance (KNN needs GiST, not GIN).
            GistIndex(fields=["name"], name="xiaoqu_name_trgm", opclasses=["gist_trgm_ops"]),
        ]
        constraints = [
            *coded_geometry_constraints("xiaoqu", label="compound"),
        ]

    def clean(self):
        if self.community_id:
            check_code_prefix(level="xiaoqu", code=self.code, parent_code=self.community.code)
            outside_parent_error(
                child=self, parent=self.community, label="compound", parent_label="community"
            )


@tracked()
class Building(ValidatedModel):
    """A footprint with its households: the one place household numbers are typed in."""

    code = models.CharField(
        "code (16 digits)", max_length=16, unique=True, validators=[CodeValidator("building")]
    )
    name = models.CharField(max_length=100, help_text="As residents say it, e.g. 3栋")
    source_code = models.CharField(
        max_length=64, blank=True, default="", db_default="", db_index=True
    )
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="buildings")
    xiaoqu = models.ForeignKey(
        Xiaoqu, on_delete=models.SET_NULL, null=True, blank=True, related_name="buildings"
    )
    parcel = models.ForeignKey(
        Parcel,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="buildings",
        help_text="The parcel holding the footprint (set by trigger).",
    )
    geom = models.PolygonField(srid=STORAGE_SRID, validators=[validate_geometry])
    geom_3857 = mercator_copy(models.PolygonField)
    households = models.PositiveIntegerField(help_text="Registered households (户).")
    units = models.PositiveSmallIntegerField("units (单元)", default=1)
    floors = models.PositiveSmallIntegerField("floors (层)", default=1)

    class Meta:
        verbose_name = "building (楼栋)"
        ordering = ["code"]
        indexes = [mercator_index("building"), models.Index(fields=["parcel"])]
        constraints = [
            *coded_geometry_constraints("building", label="building"),
        ]

    def __str__(self):
        return f"{self.name} ({self.code})"

    def derived_fields(self) -> set[str]:
        return {"parcel"}

    def clean(self):
        if self.community_id:
            check_code_prefix(level="building", code=self.code, parent_code=self.community.code)
            outside_parent_error(
                child=self, parent=self.community, label="building", parent_label="community"
            )
        if self.xiaoqu_id and self.community_id and self.xiaoqu.community_id != self.community_id:
            raise ValidationError(
                {
                    "xiaoqu": (
                        f"Compound {self.xiaoqu.code} is in another community than the building's "
                        f"community {self.community.code}."
                    )
                }
            )


class CompoundAlias(models.Model):
    """Another name people use for a compound (old name, developer's name, phase name)."""

    xiaoqu = models.ForeignKey(Xiaoqu, on_delete=models.CASCADE, related_name="aliases")
    alias = models.CharField(max_length=100)

    class Meta:
        verbose_name = "compound alias (小区别名)"
        constraints = [
            models.UniqueConstraint(fields=["xiaoqu", "alias"], name="compound_alias_unique")
        ]
        indexes = [
            GistIndex(fields=["alias"], name="compound_alias_trgm", opclasses=["gist_trgm_ops"])
        ]

    def __str__(self):
        return self.alias


class Address(ValidatedModel):
    """An addressable point: the text as written, its normalised form, its building."""

    text = models.CharField("address as written", max_length=200)
    normalized = models.CharField("normalised address", max_length=200, db_index=True)
    building = models.ForeignKey(
        Building, on_delete=models.CASCADE, null=True, blank=True, related_name="addresses"
    )
    geom = point_field()

    class Meta:
        verbose_name = "address (门牌地址)"
        verbose_name_plural = "addresses (门牌地址)"
        ordering = ["normalized"]
        # Address search: substring matches (LIKE '...路38号...') on 158,000 addresses.
        indexes = [
            GinIndex(
                fields=["normalized"], name="address_normalized_trgm", opclasses=["gin_trgm_ops"]
            )
        ]
        constraints = [
            models.UniqueConstraint(fields=["normalized"], name="address_normalized_unique"),
        ]

    def __str__(self):
        return self.text
