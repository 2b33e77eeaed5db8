from django.urls import include, path

from layers.editing import cut_api, layout_api, page, parcelise_api, propose_api

# Under /api/edit/communities/<code>/.
community_api = [
    path("editor.json", page.editor_data, name="api-edit-editor"),
    path("layout", layout_api.layout, name="api-edit-layout"),
    path("revisions", layout_api.revisions, name="api-edit-revisions"),
    path("commit", layout_api.commit, name="api-edit-commit"),
    path("draft", layout_api.draft, name="api-edit-draft"),
    path("publish", layout_api.publish, name="api-edit-publish"),
    path("revisions/<int:a>/diff/<int:b>", layout_api.diff, name="api-edit-diff"),
    path("revisions/<int:n>/revert", layout_api.revert, name="api-edit-revert"),
    path("revisions/<int:n>/cancel", layout_api.cancel, name="api-edit-cancel"),
    path("cut", cut_api.cut, name="api-edit-cut"),
    path("propose", propose_api.propose, name="api-edit-propose"),
    path("rebalance", propose_api.rebalance, name="api-edit-rebalance"),
    path("assign-unassigned", propose_api.assign_unassigned, name="api-edit-assign-unassigned"),
    path("parcelise", parcelise_api.parcelise, name="api-edit-parcelise"),
]

urlpatterns = [
    path("edit/", page.edit_page, name="edit"),
    path("api/edit/communities/<str:code>/", include(community_api)),
]
