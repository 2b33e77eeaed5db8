from django.urls import path

from layers import analysis_download_views, api_views, dashboard_views, edit_views, lookup_views

urlpatterns = [
    path("api/search", api_views.search, name="api-search"),
    path("api/features/<str:kind>/<int:feature_id>", api_views.feature, name="api-feature"),
    path("api/divisions", api_views.divisions, name="api-divisions"),
    path("api/lookup", lookup_views.lookup, name="api-lookup"),
    path("api/lookup/batch", lookup_views.lookup_batch, name="api-lookup-batch"),
    path("lookup/", lookup_views.lookup_page, name="lookup"),
    path("api/analysis/siting", analysis_download_views.siting, name="api-analysis-siting"),
    path("api/analysis/report.xlsx", analysis_download_views.report_xlsx, name="api-report-xlsx"),
    path("api/edit/communities/<str:code>/layout", edit_views.layout, name="api-edit-layout"),
    path(
        "api/edit/communities/<str:code>/revisions",
        edit_views.revisions,
        name="api-edit-revisions",
    ),
    path("api/edit/communities/<str:code>/commit", edit_views.commit, name="api-edit-commit"),
    path("dashboard/", dashboard_views.dashboard, name="dashboard"),
    path("dashboard/report-map.html", dashboard_views.report_map, name="dashboard-report-map"),
]
