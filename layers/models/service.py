"""Who serves the map: party-mass service stations, sent-down units paired with communities, and
the people attached to grids, micro-grids and buildings (personal data: never in public tiles)."""

from django.contrib.gis.db import models
from django.core.exceptions import ValidationError

from .base import ValidatedModel, mercator_copy, mercator_index, point_field
from .boundaries import Community, Grid, MicroGrid, Street
from .residential import Building, Xiaoqu


class ServiceStation(ValidatedModel):
    class Level(models.TextChoices):
        STREET = "street", "街道党群服务中心"
        COMMUNITY = "community", "社区党群服务中心"
        XIAOQU = "xiaoqu", "小区党群服务驿站"

    name = models.CharField(max_length=100)
    level = models.CharField(max_length=10, choices=Level.choices)
    street = models.ForeignKey(Street, on_delete=models.PROTECT, related_name="stations")
    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, null=True, blank=True, related_name="stations"
    )
    xiaoqu = models.ForeignKey(
        Xiaoqu, on_delete=models.SET_NULL, null=True, blank=True, related_name="stations"
    )
    address = models.CharField(max_length=200, blank=True)
    source_code = models.CharField(
        max_length=64, blank=True, default="", db_default="", db_index=True
    )
    opening_hours = models.CharField(max_length=100, blank=True)
    geom = point_field()
    geom_3857 = mercator_copy(models.PointField)

    class Meta:
        verbose_name = "service station (党群服务中心/驿站)"
        ordering = ["street", "level", "name"]
        indexes = [mercator_index("servicestation")]
        constraints = [
            models.CheckConstraint(
                name="station_level_parent",
                condition=(
                    models.Q(level="street")
                    | models.Q(level="community", community__isnull=False)
                    | models.Q(level="xiaoqu", xiaoqu__isnull=False)
                ),
                violation_error_message="a community centre needs its community and a compound "
                "station its compound",
            ),
        ]

    def __str__(self):
        return self.name


class SentDownUnit(ValidatedModel):
    class Kind(models.TextChoices):
        AGENCY = "agency", "党政机关"
        INSTITUTION = "institution", "事业单位"
        STATE_COMPANY = "state_company", "国有企业"
        PRIVATE_COMPANY = "private_company", "非公企业"
        OTHER = "other", "其他"

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    address = models.CharField(max_length=200, blank=True)
    geom = point_field(null=True, blank=True, help_text="Where the unit sits (its office).")
    geom_3857 = mercator_copy(models.PointField)
    communities = models.ManyToManyField(Community, through="Pairing", related_name="units")

    class Meta:
        verbose_name = "sent-down unit (下沉单位)"
        ordering = ["name"]
        indexes = [mercator_index("sentdownunit")]

    def __str__(self):
        return self.name


class Pairing(ValidatedModel):
    """结对共建: a unit paired with a community; its members register there (双报到)."""

    unit = models.ForeignKey(SentDownUnit, on_delete=models.CASCADE, related_name="pairings")
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="pairings")
    since = models.DateField()
    registered_members = models.PositiveIntegerField("registered members (报到党员)", default=0)
    tasks = models.TextField(blank=True, help_text="Agreed tasks (共建项目), one per line.")

    class Meta:
        verbose_name = "pairing (结对共建)"
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "community"], name="pairing_unit_community_unique"
            )
        ]

    def __str__(self):
        return f"{self.unit} ↔ {self.community}"


class Worker(ValidatedModel):
    """A person responsible for a grid, a micro-grid or a building."""

    class Role(models.TextChoices):
        GRID_WORKER = "grid_worker", "网格员"
        GRID_HEAD = "grid_head", "网格长"
        BUILDING_HEAD = "building_head", "楼栋长"
        VOLUNTEER = "volunteer", "志愿者"

    # Which attachment each role takes.
    ALLOWED_ATTACHMENTS = {
        Role.GRID_WORKER: {"grid", "micro_grid"},
        Role.GRID_HEAD: {"grid"},
        Role.BUILDING_HEAD: {"building", "micro_grid"},
        Role.VOLUNTEER: {"grid", "micro_grid", "building"},
    }

    name = models.CharField(max_length=50)
    phone = models.CharField(max_length=20, blank=True)
    role = models.CharField(max_length=16, choices=Role.choices)
    grid = models.ForeignKey(
        Grid, on_delete=models.CASCADE, null=True, blank=True, related_name="workers"
    )
    micro_grid = models.ForeignKey(
        MicroGrid, on_delete=models.CASCADE, null=True, blank=True, related_name="workers"
    )
    building = models.ForeignKey(
        Building, on_delete=models.CASCADE, null=True, blank=True, related_name="workers"
    )

    class Meta:
        verbose_name = "worker (网格员/网格长/楼栋长/志愿者)"
        ordering = ["role", "name"]
        constraints = [
            models.CheckConstraint(
                name="worker_one_attachment",
                condition=(
                    models.Q(grid__isnull=False, micro_grid__isnull=True, building__isnull=True)
                    | models.Q(grid__isnull=True, micro_grid__isnull=False, building__isnull=True)
                    | models.Q(grid__isnull=True, micro_grid__isnull=True, building__isnull=False)
                ),
                violation_error_message="attach a worker to exactly one grid, micro-grid or "
                "building",
            ),
        ]

    def __str__(self):
        return f"{self.get_role_display()} {self.name}"

    def clean(self):
        attached = {f for f in ("grid", "micro_grid", "building") if getattr(self, f"{f}_id")}
        allowed = self.ALLOWED_ATTACHMENTS.get(self.role, set())
        if len(attached) == 1 and not attached <= allowed:
            field = attached.pop()
            raise ValidationError(
                {
                    field: (
                        f"A {self.get_role_display()} is attached to "
                        f"{' or '.join(sorted(a.replace('_', '-') for a in allowed))}, not a "
                        f"{field.replace('_', '-')}."
                    )
                }
            )
