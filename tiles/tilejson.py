"""TileJSON 3.0.0 and the MapLibre style, both generated from the registry."""

import hashlib

from django.db import connection

from .registry import COMPOSITE, LAYERS, MAX_ZOOM, TileLayer, layers_for

ATTRIBUTION = "区划代码：Vonng/adcode, NBS 2016 (CC BY 4.0)"
DATA_TABLES = (
    "layers_street",
    "layers_community",
    "layers_grid",
    "layers_microgrid",
    "layers_xiaoqu",
    "layers_building",
    "layers_servicestation",
    "layers_sentdownunit",
    "layers_pairing",
)
WUHAN_CENTRE = (114.30, 30.59)


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


def city_bounds() -> list[float]:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)"
            " FROM (SELECT ST_Extent(geom) AS e FROM layers_street) s"
        )
        row = cur.fetchone()
    if row is None or row[0] is None:
        return [-180.0, -85.0511, 180.0, 85.0511]
    return [round(v, 6) for v in row]


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
        "center": [*_centre(bounds), 12],
        "vector_layers": [_vector_layer(la) for la in layers],
    }


def _centre(bounds: list[float]) -> list[float]:
    if bounds[0] <= -180:
        return list(WUHAN_CENTRE)
    return [round((bounds[0] + bounds[2]) / 2, 6), round((bounds[1] + bounds[3]) / 2, 6)]


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
        "center": list(WUHAN_CENTRE),
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


def _src(layer: TileLayer, kind: str, **rest) -> dict:
    return {
        "id": f"{layer.key}-{kind}",
        "source": "gridatlas",
        "source-layer": layer.key,
        "minzoom": layer.minzoom,
        "metadata": _meta(layer),
        **rest,
    }


LOAD_COLOR = ["match", ["get", "load"], "under", "#74add1", "over", "#d73027", "#a6d96a"]
TEXT = {"text-font": ["Noto Sans CJK SC Regular"], "text-max-width": 8}


def style_layers() -> list[dict]:
    L = LAYERS
    return [
        # Invisible fills make streets and micro-grids pickable by a click inside, not only on
        # their outline (queryRenderedFeatures tests a fill's area, whatever its opacity).
        _src(L["streets"], "fill", type="fill", paint={"fill-color": "#000000", "fill-opacity": 0}),
        _src(
            L["microgrids"], "fill", type="fill", paint={"fill-color": "#000000", "fill-opacity": 0}
        ),
        _src(
            L["communities"],
            "fill",
            type="fill",
            paint={"fill-color": L["communities"].color, "fill-opacity": 0.04},
        ),
        _src(
            L["grids"], "fill", type="fill", paint={"fill-color": LOAD_COLOR, "fill-opacity": 0.22}
        ),
        _src(
            L["xiaoqu"],
            "fill",
            type="fill",
            paint={"fill-color": L["xiaoqu"].color, "fill-opacity": 0.18},
        ),
        _src(
            L["buildings"],
            "fill",
            type="fill",
            paint={"fill-color": L["buildings"].color, "fill-opacity": 0.55},
        ),
        _src(
            L["microgrids"],
            "line",
            type="line",
            paint={
                "line-color": L["microgrids"].color,
                "line-width": 0.8,
                "line-dasharray": [2, 2],
            },
        ),
        _src(
            L["xiaoqu"],
            "line",
            type="line",
            paint={"line-color": L["xiaoqu"].color, "line-width": 1},
        ),
        _src(
            L["grids"],
            "line",
            type="line",
            paint={"line-color": L["grids"].color, "line-width": 1.2},
        ),
        _src(
            L["communities"],
            "line",
            type="line",
            paint={"line-color": L["communities"].color, "line-width": 2},
        ),
        _src(
            L["streets"],
            "line",
            type="line",
            paint={"line-color": L["streets"].color, "line-width": 3.5, "line-opacity": 0.85},
        ),
        _src(
            L["units"],
            "circle",
            type="circle",
            paint={
                "circle-color": L["units"].color,
                "circle-radius": 4,
                "circle-stroke-color": "#ffffff",
                "circle-stroke-width": 1,
            },
        ),
        _src(
            L["stations"],
            "circle",
            type="circle",
            paint={
                "circle-color": L["stations"].color,
                "circle-radius": ["match", ["get", "level"], "street", 8, "community", 6, 4],
                "circle-stroke-color": "#ffffff",
                "circle-stroke-width": 1.5,
            },
        ),
        _src(
            L["labels"],
            "label",
            type="symbol",
            layout={
                **TEXT,
                "text-field": ["get", "name"],
                "text-size": [
                    "match",
                    ["get", "kind"],
                    "streets",
                    16,
                    "communities",
                    14,
                    "grids",
                    12,
                    11,
                ],
            },
            paint={
                "text-color": [
                    "match",
                    ["get", "kind"],
                    "streets",
                    "#1f2d3d",
                    "communities",
                    "#8b1a1a",
                    "grids",
                    "#1d4f7a",
                    "#7a4a0c",
                ],
                "text-halo-color": "#ffffff",
                "text-halo-width": 1.5,
            },
        ),
    ]
