from django.urls import path

from layers import api_views

urlpatterns = [
    path("api/search", api_views.search, name="api-search"),
    path("api/features/<str:kind>/<int:feature_id>", api_views.feature, name="api-feature"),
    path("api/divisions", api_views.divisions, name="api-divisions"),
]
