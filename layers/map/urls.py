from django.urls import path

from layers.map import admin_outlines, views

urlpatterns = [
    # The offline base layer of the admin's map widgets (staff only).
    path("admin-context/outlines.geojson", admin_outlines.outlines, name="admin_outlines"),
    path("api/search", views.search, name="api-search"),
    path("api/features/<str:kind>/<int:feature_id>", views.feature, name="api-feature"),
    path("api/divisions", views.divisions, name="api-divisions"),
]
