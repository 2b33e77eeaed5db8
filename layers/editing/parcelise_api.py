"""Building a freehand community's parcels from the editor: POST
/api/edit/communities/<code>/parcelise (no body).

A community whose grids were imported as polygons and not cut into parcels at import (they left
gaps or overlapped: layers/services/import_parcels.py) is freehand, and the editor, which moves
parcels, has none to move. This runs layers.services.layout_parcelise for it: each face of the
grids' edges becomes a parcel, a gap or an overlap a parcel of no grid, which the planner then
assigns here. The same permission as every layout write (layout_authorise: a planner of the
community's street, or staff with the permission). Answers 200 {community, faces, parcels_after,
assigned, problems: [{kind, parent, codes, area_m2, lon, lat}], …}; 400 when the layout is
already made of parcels; 403; 404 no such community.
"""

from django.views.decorators.http import require_POST

from geo.http import json_response
from layers.services.layout_parcelise import layout_parcelise
from layers.services.layouts import community_authorise


@require_POST
def parcelise(request, code: str):
    community = community_authorise(user=request.user, community_code=code)
    report = layout_parcelise(community_code=community.code)
    return json_response(report.as_dict())
