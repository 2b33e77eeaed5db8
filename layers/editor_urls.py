from django.urls import path

from layers import editor_views

urlpatterns = [
    path("edit/", editor_views.edit_page, name="edit"),
    path(
        "api/edit/communities/<str:code>/editor.json",
        editor_views.editor_data,
        name="api-edit-editor",
    ),
]
