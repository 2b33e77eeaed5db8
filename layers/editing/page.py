"""The planners' layout editor: the page /edit/ and the data it draws for one community (its
outline, parcels and the edges they share; buildings and compounds come from the vector tiles).
Editing goes through the editing API (layout_api, cut_api, propose_api)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from geo.codes import LEVELS
from geo.domain import grid_band
from geo.errors import Forbidden
from layers.models import Street
from layers.rules import RULE_LABELS
from layers.selectors.editor_data import editor_community_json


def _page_strings() -> dict[str, str]:
    """The words the editor (layers/editing/static/layers/edit/) shows, translated here so the page
    needs no JavaScript catalogue."""
    return {
        "choose": _("Choose a community to edit"),
        "loading": _("Loading…"),
        "readOnly": _("Read only: this community's street is not assigned to you."),
        "freehandShort": _("Not editable yet: this layout has no parcels."),
        "freehand": _(
            "This community's grids are freehand polygons (imported), not made of parcels: the "
            "editor moves parcels, so it cannot edit this layout until they are built. Building "
            "them cuts the community along every grid's edge; where grids leave a gap or "
            "overlap, those parcels belong to no grid and you assign them here."
        ),
        "freehandAsk": _("A planner of its street can build them."),
        "parcelising": _("Building the parcels…"),
        "parcelised": _("Parcels built: {n} parcels; {p} gap(s) or overlap(s) left to assign."),
        "saved": _("Draft saved"),
        "saving": _("Saving draft…"),
        "unsaved": _("Unsaved changes"),
        "noChanges": _("No changes: the draft equals the published layout."),
        "checking": _("Checking the rules…"),
        "rulesPass": _("Every rule passes."),
        "violations": _("Rule violations"),
        "contiguousNo": _("in pieces"),
        "under": _("under"),
        "over": _("over"),
        "inBand": _("in band"),
        "households": _("households"),
        "buildings": _("buildings"),
        "parcels": _("parcels"),
        "active": _("Active grid"),
        "mergeInto": _("Merge into the active grid"),
        "split": _("Split in two"),
        "rebalance": _("Rebalance with the active grid"),
        "newGrid": _("New grid"),
        "newMicrogrid": _("New micro-grid"),
        "microgrids": _("micro-grids"),
        "published": _("Published as revision"),
        "publishFailed": _("Not published"),
        "stale": _(
            "Someone published a newer layout. Reload to start from it; your draft is kept."
        ),
        "rebased": _(
            "Your draft was begun on revision {from}; it has been re-applied to revision {to}. "
            "Check it before publishing."
        ),
        "bandReasonNeeded": _("Grids out of the household band: give a reason to publish anyway."),
        "cutDone": _("Cut: parcels split"),
        "cutFailed": _("Cut refused"),
        "proposals": _("Proposals"),
        "use": _("Use this layout"),
        "preview": _("Preview"),
        "apply": _("Apply to the draft"),
        "cancel": _("Cancel"),
        "willMove": _("parcels would move"),
        "nothingToMove": _("Nothing to move."),
        "problems": _("Problems"),
        "diff": _("Changes between the two revisions"),
        "revert": _("Revert to this revision"),
        "revertConfirm": _("Publish a new revision equal to revision"),
        "reverted": _("Reverted: new revision"),
        "revision": _("revision"),
        "baseline": _("baseline"),
        "willSchedule": _(
            "A date after today: the layout will be scheduled and take effect on that day; "
            "until then the map and the lookup keep today's layout."
        ),
        "scheduledAs": _("Scheduled: revision {n} takes effect on {date}"),
        "scheduledWaits": _(
            "Revision {n} is scheduled to take effect on {date}. Nothing else can be published "
            "until it takes effect or is cancelled."
        ),
        "scheduledFailed": _(
            "Revision {n} could not take effect on {date}: cancel it, fix the cause and publish "
            "again."
        ),
        "cancelScheduled": _("Cancel the scheduled publish"),
        "cancelScheduledConfirm": _("Cancel revision {n}? It will never take effect."),
        "scheduledCancelled": _("Revision {n} cancelled"),
        "stateLive": _("in effect now"),
        "states": {
            "in_effect": "",
            "scheduled": str(_("scheduled")),
            "failed": str(_("failed to take effect")),
            "cancelled": str(_("cancelled")),
        },
        "unassigned": _("Unassigned"),
        "error": _("Something went wrong"),
        "undo": _("Undo"),
        "redo": _("Redo"),
        "areaGained": _("area gained (m²)"),
        "areaLost": _("area lost (m²)"),
        "rules": {key: str(label) for key, label in RULE_LABELS.items()},
    }


@login_required
@require_GET
def edit_page(request):
    """/edit/?community=CODE: the editor (read-only for planners of other streets)."""
    streets = Street.objects.order_by("code").values("code", "name")
    return render(
        request,
        "layers/edit.html",
        {
            "strings": _page_strings(),
            "streets": list(streets),
            "community": request.GET.get("community", ""),
            "today": timezone.localdate(),
            "band": grid_band(),
            # The digits a grid adds to its community's code (a micro-grid to its grid's: the
            # same, tests/test_codes.py) and a street code's, for the editor's new codes.
            "code_serial": LEVELS["grid"].digits - LEVELS["community"].digits,
            "code_street": LEVELS["street"].digits,
        },
    )


@require_GET
def editor_data(request, code: str):
    """GET /api/edit/communities/<code>/editor.json: the community's outline, parcels and the
    edges they share (EPSG:4326 GeoJSON) for signed-in users."""
    if not request.user.is_authenticated:
        raise Forbidden("sign in to open the layout editor")
    body = editor_community_json(community_code=code)
    return HttpResponse(body, content_type="application/json")
