from django.contrib import admin
from django.urls import include, path

from geo import views
from layers import admin_views

urlpatterns = [
    path("", views.landing, name="landing"),
    path("healthz", views.healthz, name="healthz"),
    # The offline base layer of the admin's map widgets (staff only).
    path("admin-context/outlines.geojson", admin_views.outlines, name="admin_outlines"),
    path("admin/", admin.site.urls),
    path("", include("tiles.urls")),
]
