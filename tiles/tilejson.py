"""TileJSON 3.0.0 and the MapLibre style, both generated from the layer catalogue (the style
from each layer's `style`, the legend from its title and colour)."""

import hashlib

from django.db import connection

from geo.domain import map_home
from layers.catalogue import COLOR, TILE_LAYERS, TILE_TABLES, StyleLayer
from layers.selectors.summary import city_bounds

from .registry import COMPOSITE, LAYERS, MAX_ZOOM, TileLayer, layers_for

ATTRIBUTION = "区划代码：Vonng/adcode, NBS 2016 (CC BY 4.0)"
DATA_TABLES = tuple(TILE_TABLES)  # every table a tile reads


def data_version() -> str:
    """Changes whenever any tiled row changes: the cache-buster in tile URLs. (The exact,
    per-tile invalidation comes with the tile cache.)"""
    parts = " UNION ALL ".join(
        f"SELECT '{t}', count(*), max(updated_at) FROM {t}"  # noqa: S608 - constant table names
        for t in DATA_TABLES
    )
    with connection.cursor() as cur:
        cur.execute(parts)
        rows = cur.fetchall()
    return hashlib.sha1(repr(rows).encode(), usedforsecurity=False).hexdigest()[:12]


def tilejson(*, key: str, base_url: str) -> dict:
    layers = layers_for(key)
    bounds = city_bounds()
    version = data_version()
    return {
        "tilejson": "3.0.0",
        "name": f"gridatlas-{key}",
        "description": "GridAtlas 网格一张图: " + "、".join(la.title for la in layers),
        "version": "1.0.0",
        "attribution": ATTRIBUTION,
        "scheme": "xyz",
        "tiles": [f"{base_url}/tiles/{key}/{{z}}/{{x}}/{{y}}.mvt?v={version}"],
        "minzoom": min(la.minzoom for la in layers),
        "maxzoom": max(la.maxzoom for la in layers),
        "bounds": bounds,
        # Where the profile opens: on one city's data, not the middle of every city loaded.
        "center": [map_home().lon, map_home().lat, 12],
        "vector_layers": [_vector_layer(la) for la in layers],
    }


def _vector_layer(layer: TileLayer) -> dict:
    return {
        "id": layer.key,
        "description": layer.title,
        "minzoom": layer.minzoom,
        "maxzoom": layer.maxzoom,
        "fields": dict(layer.fields),
    }


def style(*, base_url: str) -> dict:
    """A MapLibre style that needs nothing from the internet: no sprite, and a local glyphs URL
    that serves no ranges — MapLibre GL JS (≥ 5.11) then draws text with the browser's own fonts
    (CJK through localIdeographFontFamily). The style spec requires a glyphs URL for text."""
    return {
        "version": 8,
        "name": "GridAtlas 网格一张图",
        "glyphs": f"{base_url}/tiles/fonts/{{fontstack}}/{{range}}.pbf",
        "metadata": {
            "gridatlas:groups": [
                {"key": la.key, "title": la.title, "color": la.color} for la in LAYERS.values()
            ]
        },
        "center": [map_home().lon, map_home().lat],
        "zoom": 12,
        "sources": {
            "gridatlas": {
                "type": "vector",
                "url": f"{base_url}/tiles/{COMPOSITE}.json",
                "attribution": ATTRIBUTION,
                "maxzoom": MAX_ZOOM,
            },
        },
        "layers": [
            {"id": "background", "type": "background", "paint": {"background-color": "#f4f1ea"}},
            *style_layers(),
        ],
    }


def _meta(layer: TileLayer) -> dict:
    return {
        "gridatlas:group": layer.key,
        "gridatlas:title": layer.title,
        "gridatlas:legend-color": layer.color,
    }


def _style_layer(layer: TileLayer, part: StyleLayer) -> dict:
    paint = {k: layer.color if v == COLOR else v for k, v in part.paint.items()}
    return {
        "id": f"{layer.key}-{part.name}",
        "source": "gridatlas",
        "source-layer": layer.key,
        "minzoom": layer.minzoom if part.minzoom is None else part.minzoom,
        "metadata": _meta(layer),
        "type": part.type,
        **({"layout": dict(part.layout)} if part.layout else {}),
        "paint": paint,
    }


def style_layers() -> list[dict]:
    """Every layer's style layers, in drawing order (the catalogue's `order`)."""
    parts = [(part, key) for key, la in TILE_LAYERS.items() for part in la.style]
    parts.sort(key=lambda pk: pk[0].order)
    return [_style_layer(LAYERS[key], part) for part, key in parts]
