from django.urls import path

from layers.io import export_download, import_page, onboard_page

urlpatterns = [
    path("import/", import_page.import_page, name="import"),
    path("import/onboard", onboard_page.onboard_submit_page, name="import-onboard"),
    path("import/onboard/<uuid:job_id>", onboard_page.onboard_job_page, name="import-onboard-job"),
    path("api/export/<slug:layer>.<slug:fmt>", export_download.export_layer, name="api-export"),
]
