from django.urls import path

from layers import (
    analysis_download_views,
    api_views,
    cut_views,
    dashboard_views,
    edit_views,
    export_views,
    import_views,
    job_views,
    lookup_views,
    propose_views,
)

urlpatterns = [
    path("api/search", api_views.search, name="api-search"),
    path("api/features/<str:kind>/<int:feature_id>", api_views.feature, name="api-feature"),
    path("api/divisions", api_views.divisions, name="api-divisions"),
    path("api/export/<slug:layer>.<slug:fmt>", export_views.export_layer, name="api-export"),
    path("api/lookup", lookup_views.lookup, name="api-lookup"),
    path("api/lookup/batch", lookup_views.lookup_batch, name="api-lookup-batch"),
    path("api/jobs/<uuid:job_id>", job_views.job_status, name="api-job"),
    path("api/jobs/<uuid:job_id>/result", job_views.job_result_download, name="api-job-result"),
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
    path("api/edit/communities/<str:code>/cut", cut_views.cut, name="api-edit-cut"),
    path("api/edit/communities/<str:code>/draft", edit_views.draft, name="api-edit-draft"),
    path("api/edit/communities/<str:code>/publish", edit_views.publish, name="api-edit-publish"),
    path(
        "api/edit/communities/<str:code>/revisions/<int:a>/diff/<int:b>",
        edit_views.diff,
        name="api-edit-diff",
    ),
    path(
        "api/edit/communities/<str:code>/revisions/<int:n>/revert",
        edit_views.revert,
        name="api-edit-revert",
    ),
    path(
        "api/edit/communities/<str:code>/revisions/<int:n>/cancel",
        edit_views.cancel,
        name="api-edit-cancel",
    ),
    path("api/edit/communities/<str:code>/propose", propose_views.propose, name="api-edit-propose"),
    path(
        "api/edit/communities/<str:code>/rebalance",
        propose_views.rebalance,
        name="api-edit-rebalance",
    ),
    path(
        "api/edit/communities/<str:code>/assign-unassigned",
        propose_views.assign_unassigned,
        name="api-edit-assign-unassigned",
    ),
    path("dashboard/", dashboard_views.dashboard, name="dashboard"),
    path("import/", import_views.import_page, name="import"),
    path("dashboard/report-map.html", dashboard_views.report_map, name="dashboard-report-map"),
]
