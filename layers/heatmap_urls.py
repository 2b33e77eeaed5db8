from django.urls import path

from layers import heatmap_views

urlpatterns = [
    path(
        "api/analysis/heatmap/<slug:kind>.png", heatmap_views.heatmap_image, name="api-heatmap-png"
    ),
    path(
        "api/analysis/heatmap/<slug:kind>.json", heatmap_views.heatmap_json, name="api-heatmap-json"
    ),
    path("api/analysis/heatmap/<slug:kind>.tif", heatmap_views.heatmap_tif, name="api-heatmap-tif"),
]
