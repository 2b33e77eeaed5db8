from django.urls import path

from layers import check_views

urlpatterns = [
    path("check/", check_views.check_page, name="check"),
    path("check/violations.geojson", check_views.check_geojson, name="check-geojson"),
]
