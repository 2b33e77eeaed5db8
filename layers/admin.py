"""The admin for every layer, sized for the `city` dataset (150,000 buildings, 12,000 grids).

- Foreign keys are autocomplete fields (search over AJAX): a <select> of every building or
  community would be megabytes of HTML.
- Sidebar filters never list a big table either: "district" filters by code prefix (a code names
  its whole ancestry), so it offers 13 choices where a community filter would offer 1,430.
- Derived columns (households, building counts, a building's parcel, the EPSG:3857 copy) are
  shown read-only or not at all; a grid's polygon is read-only unless its layout is freehand.
- Maps use OfflineMapWidget: vendored OpenLayers and an outline base layer, nothing from the
  internet.
- Who may change, add or delete a row is the one permission model (layers.permissions), asked
  per object on top of Django's model permissions (ScopedAdmin): where the row is before the
  change and where it goes after it. Workers also need layers.view_worker, even to be listed.
"""

from urllib.parse import urlencode

from django import forms
from django.contrib import admin
from django.contrib.gis.admin import GISModelAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Sum
from django.urls import reverse
from django.utils.html import format_html

from geo.domain import Band, band_of
from layers.models import (
    Address,
    Building,
    Community,
    CompoundAlias,
    District,
    GeomSource,
    Grid,
    Job,
    JobFile,
    LayoutDraft,
    LayoutRevision,
    LayoutRevisionGrid,
    LoadStatus,
    MicroGrid,
    Pairing,
    Parcel,
    PlannerStreet,
    Road,
    SentDownUnit,
    ServiceStation,
    Street,
    Worker,
    Xiaoqu,
)
from layers.permissions import feature_writable, may_read_workers
from layers.widgets import OfflineMapWidget

admin.site.site_header = "网格一张图 GridAtlas"
admin.site.site_title = "GridAtlas 管理"
admin.site.index_title = "数据管理 (data management)"


# --- filters -------------------------------------------------------------------------------------


class DistrictFilter(admin.SimpleListFilter):
    """Rows inside one district, by code prefix. Subclasses name the code column to test."""

    title = "district (区)"
    parameter_name = "district"
    code_field = "code"

    def lookups(self, request, model_admin):
        return [
            (code, f"{name} {code}")
            for code, name in District.objects.order_by("code").values_list("code", "name")
        ]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        return queryset.filter(**{f"{self.code_field}__startswith": self.value()})


def district_filter(code_field: str) -> type[DistrictFilter]:
    return type("DistrictFilter", (DistrictFilter,), {"code_field": code_field})


class LoadStatusFilter(admin.SimpleListFilter):
    """Households below, inside or above the unit's band (settings, read at request time)."""

    title = "load (户数负荷)"
    parameter_name = "load"

    def lookups(self, request, model_admin):
        self.band = model_admin.load_band()
        return LoadStatus.choices

    def queryset(self, request, queryset):
        lo, hi = self.band
        return {
            LoadStatus.UNDER: queryset.filter(households__lt=lo),
            LoadStatus.OK: queryset.filter(households__gte=lo, households__lte=hi),
            LoadStatus.OVER: queryset.filter(households__gt=hi),
        }.get(self.value(), queryset)


class MissingOrganisationFilter(admin.SimpleListFilter):
    """Compounds lacking an organisation (docs/design.md: organisation coverage)."""

    title = "missing (缺少)"
    parameter_name = "missing"
    FIELDS = {
        "property_company": "no property company (无物业)",
        "owners_committee": "no owners' committee (无业委会)",
        "party_organisation": "no party organisation (无小区党组织)",
    }

    def lookups(self, request, model_admin):
        return list(self.FIELDS.items())

    def queryset(self, request, queryset):
        if self.value() in self.FIELDS:
            return queryset.filter(**{self.value(): ""})
        return queryset


# --- shared bases --------------------------------------------------------------------------------


class ScopedAdmin(admin.ModelAdmin):
    """Django's model permission AND layers.permissions on the row (module docstring)."""

    def _may_write(self, request, obj) -> bool:
        if obj is None:  # the changelist: personal data only to those who may read it
            return self.model is not Worker or may_read_workers(request.user)
        return feature_writable(user=request.user, feature=obj)

    def has_view_permission(self, request, obj=None):
        if self.model is Worker and not may_read_workers(request.user):
            return False
        return super().has_view_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._may_write(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._may_write(request, obj)

    def has_add_permission(self, request):
        return super().has_add_permission(request) and self._may_write(request, None)

    def save_model(self, request, obj, form, change):
        # The stored row was checked when the page opened (has_change_permission); this is
        # where the row goes.
        if not feature_writable(user=request.user, feature=obj):
            raise PermissionDenied("you may not write this feature where it would be")
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        for inline_form in formset.forms:
            row = inline_form.instance
            if getattr(formset, "fk", None) is not None:  # a new parent's rows lack it yet
                setattr(row, formset.fk.name, formset.instance)
            if inline_form.has_changed() and not feature_writable(user=request.user, feature=row):
                raise PermissionDenied("you may not write this feature where it would be")
        super().save_formset(request, form, formset, change)


class MapAdmin(ScopedAdmin, GISModelAdmin):
    """Geometry fields edited on the offline map; a link to the row's boundary history."""

    gis_widget = OfflineMapWidget
    list_per_page = 50
    # Read-only displays that mean nothing before the row exists: left off the add page.
    not_on_add_page = ("history", "households", "building_count", "load", "parcel")

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if obj is None:
            fields = [f for f in fields if f not in self.not_on_add_page]
        return fields

    @admin.display(description="history (变更历史)")
    def history(self, obj):
        """The row's pghistory events (who changed what, when), in pghistory's admin."""
        if obj is None or obj.pk is None:
            return "—"
        url = reverse("admin:pghistory_events_changelist")
        # method=tracks: the events of this row only (obj alone lists every event).
        query = urlencode({"obj": f"{obj._meta.label_lower}:{obj.pk}", "method": "tracks"})
        return format_html('<a href="{}?{}">events</a>', url, query)


class DivisionAdmin(MapAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")
    readonly_fields = ("history",)


class DerivedUnitForm(forms.ModelForm):
    def clean(self):
        cleaned = super().clean()
        geom_field = self.fields.get("geom")
        if (
            self.instance._state.adding
            and geom_field is not None
            and not geom_field.disabled
            and cleaned.get("geom")
            and cleaned.get("geom_source") == GeomSource.PARCELS
        ):
            self.add_error(
                "geom",
                "A layout derived from parcels takes its polygon from its "
                "parcels: clear the drawing, or choose geom source "
                "'freehand' to keep it.",
            )
        return cleaned


class DerivedUnitAdmin(DivisionAdmin):
    """Grid and micro-grid: polygon and totals derived from parcels, load against its band."""

    form = DerivedUnitForm
    band_level = ""  # "grid" or "microgrid": the band of geo.domain.band_of
    list_filter = (LoadStatusFilter, "geom_source", district_filter("code"))
    readonly_fields = ("households", "building_count", "load", "history")
    show_full_result_count = False

    def load_band(self) -> Band:
        return band_of(self.band_level)

    @admin.display(description="load (负荷)", ordering="households")
    def load(self, obj):
        lo, hi = self.load_band()
        status = LoadStatus(obj.load_status)
        return format_html(
            '<span class="ga-load ga-load-{}" title="band {}–{}">{}</span>',
            status.value,
            lo,
            hi,
            status.label,
        )

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        geom = form.base_fields.get("geom")
        if geom is not None and obj is not None and obj.geom_source != GeomSource.FREEHAND:
            # The form class is built per request, so changing its field touches no other form.
            geom.disabled = True
            geom.help_text = (
                "Derived from the parcels (read-only): reassign parcels to change "
                "it, or set geom source to 'freehand'."
            )
        return form


# --- divisions and parcels -----------------------------------------------------------------------


@admin.register(District)
class DistrictAdmin(DivisionAdmin):
    pass


@admin.register(Street)
class StreetAdmin(DivisionAdmin):
    list_display = ("code", "name", "district")
    list_select_related = ("district",)
    list_filter = (district_filter("code"),)
    autocomplete_fields = ("district",)


@admin.register(Community)
class CommunityAdmin(DivisionAdmin):
    list_display = ("code", "name", "street", "urban_rural_code")
    list_select_related = ("street",)
    list_filter = (district_filter("code"), "urban_rural_code")
    autocomplete_fields = ("street",)


@admin.register(Grid)
class GridAdmin(DerivedUnitAdmin):
    list_display = (
        "code",
        "name",
        "community",
        "households",
        "building_count",
        "load",
        "geom_source",
    )
    list_select_related = ("community",)
    autocomplete_fields = ("community",)
    band_level = "grid"


@admin.register(MicroGrid)
class MicroGridAdmin(DerivedUnitAdmin):
    list_display = ("code", "name", "grid", "households", "building_count", "load", "geom_source")
    list_select_related = ("grid",)
    autocomplete_fields = ("grid",)
    band_level = "microgrid"


@admin.register(Parcel)
class ParcelAdmin(MapAdmin):
    list_display = ("id", "community", "grid", "micro_grid", "households", "building_count")
    list_select_related = ("community", "grid", "micro_grid")
    # A parcel in no grid is a gap in the layout.
    list_filter = (
        district_filter("community__code"),
        ("grid", admin.EmptyFieldListFilter),
        ("micro_grid", admin.EmptyFieldListFilter),
    )
    search_fields = ("community__code", "community__name", "grid__code", "micro_grid__code")
    autocomplete_fields = ("community", "grid", "micro_grid")
    readonly_fields = ("households", "building_count", "history")
    show_full_result_count = False


# --- compounds, buildings, addresses -------------------------------------------------------------


class CompoundAliasInline(admin.TabularInline):
    model = CompoundAlias
    extra = 1


@admin.register(Xiaoqu)
class XiaoquAdmin(DivisionAdmin):
    list_display = (
        "code",
        "name",
        "community",
        "kind",
        "property_company",
        "owners_committee",
        "party_organisation",
    )
    list_select_related = ("community",)
    list_filter = ("kind", MissingOrganisationFilter, district_filter("code"))
    search_fields = ("code", "name", "aliases__alias")
    autocomplete_fields = ("community",)
    inlines = (CompoundAliasInline,)


@admin.register(Building)
class BuildingAdmin(MapAdmin):
    list_display = ("code", "name", "community", "xiaoqu", "households", "units", "floors")
    list_select_related = ("community", "xiaoqu")
    list_filter = (district_filter("code"), ("xiaoqu", admin.EmptyFieldListFilter))
    search_fields = ("code", "name", "xiaoqu__name")
    autocomplete_fields = ("community", "xiaoqu")
    readonly_fields = ("parcel", "history")
    show_full_result_count = False


@admin.register(CompoundAlias)
class CompoundAliasAdmin(ScopedAdmin):
    list_display = ("alias", "xiaoqu")
    list_select_related = ("xiaoqu",)
    search_fields = ("alias", "xiaoqu__code", "xiaoqu__name")
    autocomplete_fields = ("xiaoqu",)


@admin.register(Address)
class AddressAdmin(MapAdmin):
    list_display = ("text", "normalized", "building")
    list_select_related = ("building",)
    search_fields = ("text", "normalized", "building__code")
    autocomplete_fields = ("building",)
    show_full_result_count = False


# --- stations, roads, units, pairings, workers ---------------------------------------------------


@admin.register(ServiceStation)
class ServiceStationAdmin(MapAdmin):
    list_display = ("name", "level", "street", "community", "xiaoqu")
    list_select_related = ("street", "community", "xiaoqu")
    list_filter = ("level", district_filter("street__code"))
    search_fields = ("name", "address", "street__name", "community__name", "xiaoqu__name")
    autocomplete_fields = ("street", "community", "xiaoqu")


@admin.register(Road)
class RoadAdmin(MapAdmin):
    list_display = ("name", "kind", "walkable")
    list_filter = ("kind", "walkable")
    search_fields = ("name",)


@admin.register(LayoutRevision)
class LayoutRevisionAdmin(admin.ModelAdmin):
    """Published layouts are history: listed and read, never edited here (a scheduled one is
    cancelled in the editor's versions list, where the street's permission is checked)."""

    list_display = ("community", "number", "state", "effective_date", "author", "created_at")
    list_filter = ("effective_date", ("applied_at", admin.EmptyFieldListFilter))
    search_fields = ("community__code", "community__name", "reason")
    readonly_fields = [f.name for f in LayoutRevision._meta.fields]
    autocomplete_fields = ("community", "author", "cancelled_by")  # never a <select> of them all

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PlannerStreet)
class PlannerStreetAdmin(ScopedAdmin):
    """Which streets each planner may edit the layouts of (the editing API enforces it)."""

    list_display = ("user", "street")
    search_fields = ("user__username", "street__code", "street__name")
    autocomplete_fields = ("user", "street")


@admin.register(LayoutDraft)
class LayoutDraftAdmin(ScopedAdmin):
    """Planners' unpublished drafts: read here, and discarded if abandoned."""

    list_display = ("community", "author", "base_revision", "updated_at")
    search_fields = ("community__code", "author__username")
    readonly_fields = [f.name for f in LayoutDraft._meta.fields]
    autocomplete_fields = ("community", "author")  # never a <select> of every row

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(LayoutRevisionGrid)
class LayoutRevisionGridAdmin(admin.ModelAdmin):
    """Each revision's frozen grids and micro-grids: history, read only."""

    list_display = ("code", "name", "level", "revision", "households", "building_count")
    list_filter = ("level",)
    search_fields = ("code", "name", "revision__community__code")
    # The polygon (not editable) stays out of the page: the diff endpoint shows it on the map.
    readonly_fields = [f.name for f in LayoutRevisionGrid._meta.fields if f.editable]
    autocomplete_fields = ("revision",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PairingInline(admin.TabularInline):
    model = Pairing
    extra = 1
    autocomplete_fields = ("community",)


@admin.register(SentDownUnit)
class SentDownUnitAdmin(MapAdmin):
    list_display = ("name", "kind", "paired_communities", "registered_members")
    list_filter = ("kind",)
    search_fields = ("name", "address")
    inlines = (PairingInline,)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_paired=Count("pairings", distinct=True),
                n_members=Sum("pairings__registered_members"),
            )
        )

    @admin.display(description="paired communities (结对社区)", ordering="n_paired")
    def paired_communities(self, obj):
        return obj.n_paired

    @admin.display(description="registered members (报到党员)", ordering="n_members")
    def registered_members(self, obj):
        return obj.n_members or 0


@admin.register(Pairing)
class PairingAdmin(ScopedAdmin):
    list_display = ("unit", "community", "since", "registered_members")
    list_select_related = ("unit", "community")
    list_filter = ("unit__kind", district_filter("community__code"))
    search_fields = ("unit__name", "community__code", "community__name")
    autocomplete_fields = ("unit", "community")
    date_hierarchy = "since"


@admin.register(Worker)
class WorkerAdmin(ScopedAdmin):
    list_display = ("name", "role", "attached_to", "phone")
    list_select_related = ("grid", "micro_grid", "building")
    list_filter = ("role",)
    search_fields = ("name", "phone", "grid__code", "micro_grid__code", "building__code")
    autocomplete_fields = ("grid", "micro_grid", "building")

    @admin.display(description="attached to (所属)")
    def attached_to(self, obj):
        return obj.grid or obj.micro_grid or obj.building


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows the system writes (background jobs and their files): listed and read, never edited."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Job)
class JobAdmin(ReadOnlyAdmin):
    """Staff look into a user's batch lookup here; deleting a job deletes its files."""

    list_display = ("kind", "owner", "status", "progress_done", "progress_total", "created_at")
    list_filter = ("kind", "status")
    search_fields = ("owner__username", "input_name")
    date_hierarchy = "created_at"
    autocomplete_fields = ("owner",)


@admin.register(JobFile)
class JobFileAdmin(ReadOnlyAdmin):
    list_display = ("job", "role", "name", "content_type")
    list_filter = ("role",)
    exclude = ("data",)  # the file itself is downloaded through /api/jobs/{id}/result
    autocomplete_fields = ("job",)
