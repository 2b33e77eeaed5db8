from django.urls import path

from layers.lookup import job_views, views

urlpatterns = [
    path("lookup/", views.lookup_page, name="lookup"),
    path("api/lookup", views.lookup, name="api-lookup"),
    path("api/lookup/batch", views.lookup_batch, name="api-lookup-batch"),
    path("api/jobs/<uuid:job_id>", job_views.job_status, name="api-job"),
    path("api/jobs/<uuid:job_id>/result", job_views.job_result_download, name="api-job-result"),
]
