"""Mounted with `path("ogc", include(...))` in geo/urls.py, so the landing page answers at /ogc
as well as /ogc/ (clients are given either), and everything else lives under /ogc/."""

from django.urls import include, path

from layers.ogc import views

api = [
    path("", views.landing, name="ogc-landing-slash"),
    path("conformance", views.conformance, name="ogc-conformance"),
    path("openapi", views.openapi, name="ogc-openapi"),
    path("collections", views.collections, name="ogc-collections"),
    path("collections/<str:collection_id>", views.collection, name="ogc-collection"),
    path("collections/<str:collection_id>/items", views.items, name="ogc-items"),
    path(
        "collections/<str:collection_id>/items/<str:feature_id>",
        views.item,
        name="ogc-item",
    ),
]

urlpatterns = [
    path("", views.landing, name="ogc-landing"),
    path("/", include(api)),
]
