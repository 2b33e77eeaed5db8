"""Map widgets for the admin that work with no internet (government intranets have none).

GeoDjango's OpenLayersWidget/OSMWidget load OpenLayers from a CDN and draw base tiles from
OpenStreetMap or NASA. This widget loads the OpenLayers that scripts/vendor_js.sh copied into
static files, and draws, instead of tiles, the street, community and grid outlines around the
feature, fetched from a staff-only JSON view (layers.map.admin_outlines.outlines).
"""

from django.contrib.gis.forms.widgets import OSMWidget
from django.urls import reverse

from geo.domain import map_home


class OfflineMapWidget(OSMWidget):
    """OpenLayers editor over an offline outline layer; map in EPSG:3857, like GeoDjango's.

    A disabled form field (a grid whose polygon is derived from its parcels) is shown with
    drawing and modifying switched off.
    """

    template_name = "layers/widgets/offline_map.html"

    class Media:
        # Not extending OSMWidget's Media: that one names cdn.jsdelivr.net.
        extend = False
        css = {"all": ("vendor/ol/ol.css", "gis/css/ol3.css", "geo/offline_map.css")}
        js = ("vendor/ol/ol.js", "gis/js/OLMapWidget.js", "geo/offline_map.js")

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["outlines_url"] = reverse("admin_outlines")
        # A feature with no geometry yet opens on the maps' home view. OpenLayers counts zooms in
        # 256-pixel tiles, one more than MapLibre's 512-pixel zoom for the same scale.
        home = map_home()
        context.update(default_lon=home.lon, default_lat=home.lat, default_zoom=home.zoom + 1)
        return context
