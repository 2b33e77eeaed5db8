"""The published layouts of a community: every commit of the grid/micro-grid assignment of its
parcels is an immutable, numbered revision (who, when, effective from, why), holding the whole
assignment and a snapshot of every grid and micro-grid (polygon, totals) and of each building's
grid — so any two can be compared, any one restored and any date looked up even after parcels
are cut, and a write based on an old revision is recognised as stale. Revision 0 is the baseline
(the layout before the first publish). Also: planners' drafts, and which streets each planner
may edit."""

from django.conf import settings
from django.contrib.gis.db import models as gis_models
from django.db import models

from geo.srid import STORAGE_SRID

from .boundaries import Community, Street


class LayoutRevision(models.Model):
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="revisions")
    number = models.PositiveIntegerField(help_text="0 (baseline), 1, 2, 3… per community")
    created_at = models.DateTimeField(auto_now_add=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    effective_date = models.DateField(help_text="From when the layout applies (as-of lookups)")
    reason = models.TextField(blank=True, help_text="Why; required to accept grids out of band")
    # {parcel id: [grid code or null, micro-grid code or null]} after this revision.
    assignment = models.JSONField()
    changed_parcels = models.JSONField(default=list, help_text="Parcel ids this revision moved")
    # {building id: [grid code or null, households]} at this revision (diffs count what moved).
    buildings = models.JSONField(default=dict)
    baseline = models.BooleanField(
        default=False, help_text="Revision 0: the layout as it was before the first publish"
    )
    # The state of a publish (see layers/services/layout_schedule.py). These four columns are the
    # only ones the database lets change after insert, and each only once (from empty).
    applied_at = models.DateTimeField(
        null=True, blank=True, help_text="When it became the live layout; empty while scheduled"
    )
    cancelled_at = models.DateTimeField(
        null=True, blank=True, help_text="When a scheduled publish was withdrawn"
    )
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    apply_error = models.TextField(
        blank=True, help_text="Why a scheduled publish could not take effect on its date"
    )

    class State(models.TextChoices):
        IN_EFFECT = "in_effect", "in effect"
        SCHEDULED = "scheduled", "scheduled"
        CANCELLED = "cancelled", "cancelled"
        FAILED = "failed", "failed to take effect"

    class Meta:
        verbose_name = "layout revision (网格调整版本)"
        ordering = ["community", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "number"], name="layout_revision_number_unique"
            )
        ]
        # The worker's "what is due today" scan reads only the pending few.
        indexes = [
            models.Index(
                fields=["effective_date"],
                name="layout_revision_pending",
                condition=models.Q(applied_at__isnull=True, cancelled_at__isnull=True),
            )
        ]

    def __str__(self):
        return f"{self.community.code} r{self.number} ({self.effective_date})"

    @property
    def state(self) -> str:
        if self.cancelled_at is not None:
            return self.State.CANCELLED
        if self.applied_at is not None:
            return self.State.IN_EFFECT
        return self.State.FAILED if self.apply_error else self.State.SCHEDULED


class LayoutRevisionGrid(models.Model):
    """What a grid or micro-grid was at a revision: its polygon and totals, frozen. Diff, revert
    and as-of lookups read these, not today's parcels, so they survive parcels being cut later
    (a cut keeps one piece's id and gives the others new ones)."""

    class Level(models.TextChoices):
        GRID = "grid", "grid"
        MICROGRID = "microgrid", "micro-grid"

    revision = models.ForeignKey(LayoutRevision, on_delete=models.CASCADE, related_name="units")
    level = models.CharField(max_length=10, choices=Level.choices, default=Level.GRID)
    code = models.CharField(max_length=18)
    name = models.CharField(max_length=100)
    # Written by the snapshot SQL only: no form edits it.
    geom = gis_models.MultiPolygonField(srid=STORAGE_SRID, null=True, blank=True, editable=False)
    households = models.PositiveIntegerField(default=0)
    building_count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "layout revision grid (版本网格快照)"
        ordering = ["revision", "level", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["revision", "level", "code"], name="layout_revision_unit_unique"
            )
        ]

    def __str__(self):
        return f"{self.code} @ r{self.revision.number}"


class PlannerStreet(models.Model):
    """A planner may edit the layouts of the communities of the streets assigned to them (staff
    and superusers with the planner permission may edit everywhere)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="planner_streets"
    )
    street = models.ForeignKey(Street, on_delete=models.CASCADE, related_name="planners")

    class Meta:
        verbose_name = "planner's street (规划员负责街道)"
        verbose_name_plural = "planners' streets (规划员负责街道)"
        constraints = [
            models.UniqueConstraint(fields=["user", "street"], name="planner_street_unique")
        ]

    def __str__(self):
        return f"{self.user} → {self.street.code}"


class LayoutDraft(models.Model):
    """A planner's unpublished edit of a community's layout: parcel moves on top of the revision
    it started from. May hold violations; one per (community, author)."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="drafts")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="layout_drafts"
    )
    base_revision = models.PositiveIntegerField()
    # [{"parcel": id, "grid": code|null, "microgrid": code|null}, …]
    moves = models.JSONField(default=list)
    # [{"code": grid or micro-grid code, "name": …}, …]: units the moves create
    new_grids = models.JSONField(default=list)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "layout draft (网格调整草稿)"
        constraints = [
            models.UniqueConstraint(fields=["community", "author"], name="layout_draft_unique")
        ]

    def __str__(self):
        return f"draft of {self.community.code} by {self.author}"
