"""The analyses' JSON endpoints and downloads under /api/analysis/, and the dashboard pages."""

from django.urls import path

from layers.analysis.views import dashboard, downloads, heatmaps, reports

urlpatterns = [
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("dashboard/report-map.html", dashboard.report_map, name="dashboard-report-map"),
    path("api/analysis/coverage", reports.coverage, name="api-analysis-coverage"),
    path(
        "api/analysis/coverage/uncovered",
        reports.coverage_uncovered,
        name="api-analysis-coverage-uncovered",
    ),
    path("api/analysis/organisation", reports.organisation, name="api-analysis-organisation"),
    path("api/analysis/load", reports.load, name="api-analysis-load"),
    path("api/analysis/pairing", reports.pairing, name="api-analysis-pairing"),
    path("api/analysis/headline", reports.headline, name="api-analysis-headline"),
    path("api/analysis/siting", downloads.siting, name="api-analysis-siting"),
    path("api/analysis/report.xlsx", downloads.report_xlsx, name="api-report-xlsx"),
    path("api/analysis/heatmap/<slug:kind>.png", heatmaps.heatmap_image, name="api-heatmap-png"),
    path("api/analysis/heatmap/<slug:kind>.json", heatmaps.heatmap_json, name="api-heatmap-json"),
    path("api/analysis/heatmap/<slug:kind>.tif", heatmaps.heatmap_tif, name="api-heatmap-tif"),
]
