"""The analyses' JSON endpoints (layers/analysis_views.py), under /api/analysis/."""

from django.urls import path

from layers import analysis_views

urlpatterns = [
    path("api/analysis/coverage", analysis_views.coverage, name="api-analysis-coverage"),
    path(
        "api/analysis/coverage/uncovered",
        analysis_views.coverage_uncovered,
        name="api-analysis-coverage-uncovered",
    ),
    path(
        "api/analysis/organisation",
        analysis_views.organisation,
        name="api-analysis-organisation",
    ),
    path("api/analysis/load", analysis_views.load, name="api-analysis-load"),
    path("api/analysis/pairing", analysis_views.pairing, name="api-analysis-pairing"),
    path("api/analysis/headline", analysis_views.headline, name="api-analysis-headline"),
]
