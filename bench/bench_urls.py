"""geo.urls plus /bench/constant.mvt: constant bytes of a typical tile's size with a cached
tile's headers, through the same middleware and workers — the framework's ceiling for a cache
hit (a hit adds one query to this)."""

import hashlib
import os

from django.conf import settings
from django.db import transaction
from django.http import HttpResponse
from django.urls import include, path
from django.views.decorators.http import require_GET

from tiles.views import MVT_CONTENT_TYPE

# bench/tiles.py sets the size to the sample's median tile before starting the server.
_SIZE = int(os.environ.get("BENCH_CONSTANT_TILE_BYTES", "50000"))
BODY = (bytes(range(256)) * (_SIZE // 256 + 1))[:_SIZE]
ETAG = '"' + hashlib.md5(BODY, usedforsecurity=False).hexdigest() + '"'


@transaction.non_atomic_requests  # as tiles.views.tile: no BEGIN/COMMIT around a hit
@require_GET
def constant_tile(request):
    return HttpResponse(
        BODY,
        content_type=MVT_CONTENT_TYPE,
        headers={
            "Cache-Control": f"public, max-age={settings.GRIDATLAS_TILE_CACHE_MAX_AGE_S}",
            "Access-Control-Allow-Origin": "*",
            "X-Tile-Cache": "hit",
            "ETag": ETAG,
        },
    )


urlpatterns = [path("bench/constant.mvt", constant_tile), path("", include("geo.urls"))]
