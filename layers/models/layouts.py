"""The published layouts of a community: every commit of the grid/micro-grid assignment of its
parcels is an immutable, numbered revision (who, when, effective from, why), holding the whole
assignment — so any two can be compared and any one restored, and a write based on an old
revision is recognised as stale."""

from django.conf import settings
from django.db import models

from .boundaries import Community


class LayoutRevision(models.Model):
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="revisions")
    number = models.PositiveIntegerField(help_text="1, 2, 3… per community")
    created_at = models.DateTimeField(auto_now_add=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    effective_date = models.DateField(help_text="From when the layout applies (as-of lookups)")
    reason = models.TextField(blank=True, help_text="Why; required to accept grids out of band")
    # {parcel id: [grid code or null, micro-grid code or null]} after this revision.
    assignment = models.JSONField()
    changed_parcels = models.JSONField(default=list, help_text="Parcel ids this revision moved")

    class Meta:
        verbose_name = "layout revision (网格调整版本)"
        ordering = ["community", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "number"], name="layout_revision_number_unique"
            )
        ]

    def __str__(self):
        return f"{self.community.code} r{self.number} ({self.effective_date})"
