"""Tile, TileJSON and style endpoints: parse, call one function, render."""

import functools
import hashlib
import logging

from django.conf import settings
from django.db import transaction
from django.http import HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from geo.errors import TileOutOfRange, UnknownLayer
from geo.http import json_response
from layers.redirects import renamed_layer_redirect

from .cache import cache_lookup, cache_put
from .coords import TileCoord
from .memory import tile_memory
from .metrics import metrics_text, tile_observed
from .registry import COMPOSITE, layers_for
from .render import tile_render
from .tilejson import style, tilejson

MVT_CONTENT_TYPE = "application/vnd.mapbox-vector-tile"
log = logging.getLogger(__name__)


def _layers_or_404(key: str):
    layers = layers_for(key)
    if not layers:
        raise UnknownLayer(f"no tile layer {key!r}; see /tiles/style.json for the layers")
    return layers


@transaction.non_atomic_requests  # a cache hit is one query, with no BEGIN/COMMIT around it
@require_GET
@renamed_layer_redirect("layer")  # outside tile_observed: a redirect is no tile in the metrics
@tile_observed
def tile(request, layer: str, z: str, x: str, y: str):
    layers = _layers_or_404(layer)
    coord = TileCoord.parse(z, x, y)
    if coord.z > max(la.maxzoom for la in layers):
        # 404, not 204: MapLibre then overzooms the parent tile.
        raise TileOutOfRange(f"{layer} is cut down to zoom {max(la.maxzoom for la in layers)}")
    headers = {
        "Cache-Control": f"public, max-age={settings.GRIDATLAS_TILE_CACHE_MAX_AGE_S}",
        "Access-Control-Allow-Origin": "*",
    }
    remembered = tile_memory.get(layer, coord)
    if remembered is not None:  # no query at all
        headers["X-Tile-Cache"] = "hit"
        return _tile_response(request, *remembered, headers)
    cached, epoch = cache_lookup(key=layer, coord=coord)
    if cached is not None:
        tile_memory.put(layer, coord, cached.data, cached.etag, epoch)
        headers["X-Tile-Cache"] = "hit"
        return _tile_response(request, cached.data, cached.etag, headers)
    rendered = tile_render(coord=coord, layers=layers, droppable=layer == COMPOSITE)
    etag = '"' + hashlib.md5(rendered.data, usedforsecurity=False).hexdigest() + '"'
    if rendered.dropped:
        # A capped tile is served but not cached: it is not the whole tile.
        headers["X-Tile-Dropped-Layers"] = ",".join(rendered.dropped)
    headers["X-Tile-Cache"] = "miss"
    response = _tile_response(request, rendered.data, etag, headers)
    if not rendered.dropped:
        response.after_sent = functools.partial(
            _tile_store, key=layer, coord=coord, data=rendered.data, etag=etag, epoch=epoch
        )
    return response


def _tile_store(*, key: str, coord: TileCoord, data: bytes, etag: str, epoch: int) -> None:
    # The epoch guard refuses a tile an edit has purged since `epoch`; memory takes it only once
    # the database has it (committed: this runs in autocommit, after the response).
    if cache_put(key=key, coord=coord, data=data, etag=etag, epoch=epoch):
        tile_memory.put(key, coord, data, etag, epoch)


class TileResponse(HttpResponse):
    """A response that runs `after_sent` when the server has written it (WSGI calls close()):
    the cache write of a freshly cut tile (~1 ms) no longer delays the client's bytes."""

    after_sent = None

    def close(self):
        try:
            if self.after_sent is not None:
                self.after_sent()
        except Exception:  # a failed cache write must not fail a sent response
            log.exception("storing a rendered tile in the cache failed")
        finally:
            super().close()


def _tile_response(request, data: bytes, etag: str, headers: dict) -> TileResponse:
    if not data:
        return TileResponse(status=204, headers=headers)
    headers["ETag"] = etag
    if etag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
        return TileResponse(status=304, headers=headers)
    return TileResponse(data, content_type=MVT_CONTENT_TYPE, headers=headers)


def _base_url(request) -> str:
    return f"{request.scheme}://{request.get_host()}"


@require_GET
@renamed_layer_redirect("layer")
def tilejson_view(request, layer: str):
    _layers_or_404(layer)
    return json_response(tilejson(key=layer, base_url=_base_url(request)))


@require_GET
def style_view(request):
    return json_response(style(base_url=_base_url(request)))


@require_GET
def glyphs(request, fontstack: str, glyph_range: str):
    """No glyph PBFs are served: a 404 makes MapLibre GL JS draw the range with local fonts, so
    labels need no font server and nothing from the internet."""
    return JsonResponse(
        {"error": "GridAtlas serves no glyph ranges; labels use local fonts"}, status=404
    )


@transaction.non_atomic_requests
@require_GET
def metrics(request):
    """Prometheus text: tile latency and size by layer, zoom and cache hit/miss; tile errors."""
    body, content_type = metrics_text()
    return HttpResponse(body, content_type=content_type)
