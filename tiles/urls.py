from django.urls import path, re_path

from . import views

urlpatterns = [
    path("metrics", views.metrics, name="metrics"),
    path("tiles/style.json", views.style_view, name="tiles-style"),
    path("tiles/fonts/<str:fontstack>/<str:glyph_range>.pbf", views.glyphs, name="tiles-glyphs"),
    re_path(r"^tiles/(?P<layer>[A-Za-z0-9_-]+)\.json$", views.tilejson_view, name="tiles-tilejson"),
    # z/x/y are parsed by TileCoord, so a bad number is a clear 400, not a bare 404.
    re_path(
        r"^tiles/(?P<layer>[A-Za-z0-9_-]+)/(?P<z>[^/]+)/(?P<x>[^/]+)/(?P<y>[^/.]+)\.mvt$",
        views.tile,
        name="tiles-tile",
    ),
]
