"""The OpenAPI 3.0 document of /ogc: what GDAL, QGIS and ArcGIS read to learn the paths, the
page size (`limit`'s default and maximum) and the property filters of each collection."""

from django.conf import settings

from layers.io.columns import LAYERS, Column

_SCHEMA_TYPES = {"int": "integer", "text": "string", "date": "string", "choice": "string"}
_JSON = {"application/json": {"schema": {"type": "object"}}}
_GEOJSON = {"application/geo+json": {"schema": {"type": "object"}}}


def _parameters() -> dict:
    return {
        "limit": {
            "name": "limit",
            "in": "query",
            "required": False,
            "style": "form",
            "explode": False,
            "schema": {
                "type": "integer",
                "minimum": 1,
                "maximum": settings.GRIDATLAS_OGC_MAX_LIMIT_FEATURES,
                "default": settings.GRIDATLAS_OGC_DEFAULT_LIMIT_FEATURES,
            },
        },
        "offset": {
            "name": "offset",
            "in": "query",
            "required": False,
            "schema": {"type": "integer", "minimum": 0, "default": 0},
        },
        "bbox": {
            "name": "bbox",
            "in": "query",
            "required": False,
            "style": "form",
            "explode": False,
            "description": "minlon,minlat,maxlon,maxlat in CRS84 degrees",
            "schema": {"type": "array", "minItems": 4, "maxItems": 4, "items": {"type": "number"}},
        },
    }


def _filter(column: Column) -> dict:
    return {
        "name": column.name,
        "in": "query",
        "required": False,
        "description": f"features whose {column.name} equals this value",
        "schema": {"type": _SCHEMA_TYPES[column.kind]},
    }


def _operation(summary: str, parameters: list, content: dict) -> dict:
    return {
        "get": {
            "summary": summary,
            "parameters": parameters,
            "responses": {"200": {"description": summary, "content": content}},
        }
    }


def _collection_paths(layer: str) -> dict:
    refs = [{"$ref": f"#/components/parameters/{p}"} for p in ("limit", "offset", "bbox")]
    filters = [_filter(c) for c in LAYERS[layer].columns]
    fid = {"name": "featureId", "in": "path", "required": True, "schema": {"type": "integer"}}
    return {
        f"/collections/{layer}": _operation(f"the {layer} collection", [], _JSON),
        f"/collections/{layer}/items": _operation(
            f"the {layer} features", refs + filters, _GEOJSON
        ),
        f"/collections/{layer}/items/{{featureId}}": _operation(
            f"one of the {layer} features", [fid], _GEOJSON
        ),
    }


def openapi_document(*, base_url: str, layers: list[str]) -> dict:
    """OpenAPI 3.0 for the landing page at `base_url` and the given collections (those the
    caller may see)."""
    paths = {
        "/": _operation("the landing page", [], _JSON),
        "/conformance": _operation("the conformance classes", [], _JSON),
        "/collections": _operation("the collections", [], _JSON),
    }
    for layer in layers:
        paths.update(_collection_paths(layer))
    return {
        "openapi": "3.0.3",
        "info": {"title": "GridAtlas OGC API Features", "version": "1.0.0"},
        "servers": [{"url": base_url}],
        "paths": paths,
        "components": {"parameters": _parameters()},
    }
