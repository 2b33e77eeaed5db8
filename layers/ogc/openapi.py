"""The OpenAPI 3.0 document of /ogc: what GDAL, QGIS and ArcGIS read to learn the paths, the
page size (`limit`'s default and maximum) and the property filters of each collection."""

from django.conf import settings

from geo.params import BIGINT_MAX, INT4_MAX
from layers.catalogue import COLUMNS
from layers.io.columns import Column

_NO_CONTROL = "^[^\\x00-\\x1f\\x7f]*$"  # a control character is a 400 (geo/middleware.py)
_SCHEMA_TYPES = {
    "int": {"type": "integer", "minimum": -INT4_MAX - 1, "maximum": INT4_MAX},
    "text": {"type": "string", "pattern": _NO_CONTROL},
    "date": {"type": "string", "format": "date"},
    "choice": {"type": "string", "pattern": _NO_CONTROL},
}
_JSON = {"application/json": {"schema": {"type": "object"}}}
_GEOJSON = {"application/geo+json": {"schema": {"type": "object"}}}
_ERROR = {
    "application/json": {
        "schema": {
            "type": "object",
            "required": ["error"],
            "properties": {"error": {"type": "string"}},
        }
    }
}
# What every operation may answer besides 200: a parameter that cannot be read (400, with what
# to send instead) and an unknown collection or feature (404).
_ERRORS = {
    "400": {"description": "a parameter cannot be read; `error` says which", "content": _ERROR},
    "404": {"description": "no such collection or feature", "content": _ERROR},
}


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
            "schema": {"type": "integer", "minimum": 0, "maximum": BIGINT_MAX, "default": 0},
        },
        "bbox": {
            "name": "bbox",
            "in": "query",
            "required": False,
            "style": "form",
            "explode": False,
            "description": "minlon,minlat,maxlon,maxlat in CRS84 degrees",
            "schema": {
                "type": "array",
                "minItems": 4,
                "maxItems": 4,
                "items": {"type": "number", "minimum": -180, "maximum": 180},
            },
        },
    }


def _filter(column: Column) -> dict:
    return {
        "name": column.name,
        "in": "query",
        "required": False,
        "description": f"features whose {column.name} equals this value",
        "schema": dict(_SCHEMA_TYPES[column.kind]),
    }


def _operation(summary: str, parameters: list, content: dict) -> dict:
    return {
        "get": {
            "summary": summary,
            "parameters": parameters,
            "responses": {"200": {"description": summary, "content": content}, **_ERRORS},
        }
    }


def _collection_paths(layer: str) -> dict:
    refs = [{"$ref": f"#/components/parameters/{p}"} for p in ("limit", "offset", "bbox")]
    filters = [_filter(c) for c in COLUMNS[layer].columns]
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
