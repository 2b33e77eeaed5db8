"""The map page (`/`): MapLibre on the vector tiles, with search, zoom-to, the legend, the card of
a clicked feature and the city's headline figures. Everything it loads is same-origin."""

import json

from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from geo.city_profile import city_profile
from geo.domain import grid_band
from layers.catalogue import LAYERS, PICK_ORDER
from layers.permissions import may_read_workers
from layers.selectors.summary import WORLD_BOUNDS, city_summary

DOWNLOAD_DEFAULT = "grids"  # what the Download panel offers first

# The panel's figures, in reading order: (CitySummary field, label).
FIGURES = (
    ("districts", gettext_lazy("districts")),
    ("streets", gettext_lazy("streets")),
    ("communities", gettext_lazy("communities")),
    ("grids", gettext_lazy("grids")),
    ("microgrids", gettext_lazy("micro-grids")),
    ("xiaoqus", gettext_lazy("compounds")),
    ("buildings", gettext_lazy("buildings")),
    ("households", gettext_lazy("households")),
    ("stations", gettext_lazy("service stations")),
    ("units", gettext_lazy("sent-down units")),
    ("communities_unpaired", gettext_lazy("unpaired communities")),
)

# The card's figures (layers.selectors.places.feature_card `facts` keys).
FACT_LABELS = {
    "households": gettext_lazy("Households"),
    "buildings": gettext_lazy("Buildings"),
    "load": gettext_lazy("Load"),
    "microgrids": gettext_lazy("Micro-grids"),
    "grids": gettext_lazy("Grids"),
    "units": gettext_lazy("Paired units"),
    "communities": gettext_lazy("Communities"),
    "kind": gettext_lazy("Type"),
    "party_organisation": gettext_lazy("Party organisation"),
    "owners_committee": gettext_lazy("Owners' committee"),
    "property_company": gettext_lazy("Property management"),
    "floors": gettext_lazy("Floors"),
    "level": gettext_lazy("Level"),
    "address": gettext_lazy("Address"),
    "opening_hours": gettext_lazy("Opening hours"),
    "paired_communities": gettext_lazy("Paired communities"),
}


def _strings() -> dict:
    """Every text map.js shows, in the request's language (Django i18n, not a JS catalogue)."""
    lo, hi = grid_band()
    return {
        # Layer keys as the legend, the cards and the search results name them.
        "layers": {k: str(layer.title_en) for k, layer in LAYERS.items()},
        "facts": {k: str(v) for k, v in FACT_LABELS.items()},
        "load": {"under": _("below band"), "ok": _("in band"), "over": _("above band")},
        "yes": _("yes"),
        "no": _("none"),
        "zoomForName": _("zoom in to see its name"),
        "noResults": _("No place matches “%(q)s”."),
        "searchFailed": _("Search failed: %(error)s"),
        "cardFailed": _("Could not load the details: %(error)s"),
        "loading": _("Loading…"),
        "households": _("%(n)s households"),
        "bands": _("Grid band %(lo)s–%(hi)s households") % {"lo": lo, "hi": hi},
    }


def _download_layers(user) -> list[dict]:
    """The Download panel's layers: every file layer of the catalogue, in its order; a layer of
    personal data only for users who may read it (the export refuses the others anyway)."""
    workers = may_read_workers(user)
    return [
        {"key": key, "title": layer.title_en, "selected": key == DOWNLOAD_DEFAULT}
        for key, layer in LAYERS.items()
        if layer.columns is not None and (workers or not layer.personal)
    ]


@require_safe  # a page: a writing method is refused (tests/test_permissions.py)
def map_page(request):
    """The city map. The page itself reads the headline figures (one query) and the city
    profile (its name, the bounds it opens on: cached); tiles, search and cards come from their
    own endpoints."""
    summary = city_summary()
    profile = city_profile()
    figures = [
        {
            "key": key,
            "label": label,
            "value": f"{getattr(summary, key):,}",
            "alert": key == "communities_unpaired" and summary.communities_unpaired > 0,
        }
        for key, label in FIGURES
    ]
    return render(
        request,
        "tiles/map.html",
        {
            "figures": figures,
            "city_name": profile.name,
            # One city's box, never one around two cities loaded far apart (a blank between).
            "bounds_json": json.dumps(list(profile.bounds or WORLD_BOUNDS)),
            "pick_order_json": json.dumps(PICK_ORDER),
            "download_layers": _download_layers(request.user),
            "grid_min": grid_band().min,
            "grid_max": grid_band().max,
            "strings": _strings(),
        },
    )
