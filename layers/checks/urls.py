from django.urls import path

from layers.checks import views

urlpatterns = [
    path("check/", views.check_page, name="check"),
    path("check/violations.geojson", views.check_geojson, name="check-geojson"),
]
