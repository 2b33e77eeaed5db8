from django.urls import path

from layers.io import export_download, import_page

urlpatterns = [
    path("import/", import_page.import_page, name="import"),
    path("api/export/<slug:layer>.<slug:fmt>", export_download.export_layer, name="api-export"),
]
