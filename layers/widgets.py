"""Map widgets for the admin that work with no internet (government intranets have none).

GeoDjango's OpenLayersWidget/OSMWidget load OpenLayers from a CDN and draw base tiles from
OpenStreetMap or NASA. This widget loads the OpenLayers that scripts/vendor_js.sh copied into
static files, and draws, instead of tiles, the street, community and grid outlines around the
feature, fetched from a staff-only JSON view (layers.admin_views.outlines).
"""

from django.contrib.gis.forms.widgets import OSMWidget
from django.urls import reverse

# The city the map opens on when a feature has no geometry yet (Wuhan, EPSG:4326 degrees).
DEFAULT_CENTRE_LON = 114.30
DEFAULT_CENTRE_LAT = 30.59
DEFAULT_ZOOM = 12


class OfflineMapWidget(OSMWidget):
    """OpenLayers editor over an offline outline layer; map in EPSG:3857, like GeoDjango's.

    A disabled form field (a grid whose polygon is derived from its parcels) is shown with
    drawing and modifying switched off.
    """

    template_name = "layers/widgets/offline_map.html"
    default_lon = DEFAULT_CENTRE_LON
    default_lat = DEFAULT_CENTRE_LAT
    default_zoom = DEFAULT_ZOOM

    class Media:
        # Not extending OSMWidget's Media: that one names cdn.jsdelivr.net.
        extend = False
        css = {"all": ("vendor/ol/ol.css", "gis/css/ol3.css", "geo/offline_map.css")}
        js = ("vendor/ol/ol.js", "gis/js/OLMapWidget.js", "geo/offline_map.js")

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["outlines_url"] = reverse("admin_outlines")
        return context
