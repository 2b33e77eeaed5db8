"""OGC API Features, Part 1 (Core, GeoJSON, OpenAPI 3.0): landing page, conformance, the
collections, their items (bbox, limit/offset paging with next/prev links, attribute filters by
property name) and single features, in CRS84 as GeoJSON.

Read-only. The workers' collection holds personal data: for a user without `layers.view_worker`
it does not exist (absent from /collections, 404 on its URLs), as a client that cannot read it
has nothing to list. Views parse, call a selector, render.
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.apps import apps
from django.conf import settings
from django.urls import reverse
from django.views.decorators.http import require_safe

from geo.city_profile import city_profile
from geo.errors import BadRequest, NotFound
from geo.http import json_response
from geo.params import BIGINT_MAX, INT4_MAX, date_parse, int_parse
from geo.ratelimits import ogc_page_is_large, rate_limited
from layers.catalogue import LAYERS
from layers.io.columns import LayerColumns
from layers.ogc.openapi import openapi_document
from layers.permissions import WORKER_PERMISSION
from layers.selectors.layer_rows import BBox, layer_extent, layer_names, layer_page, layer_spec

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
JSON = "application/json"
GEOJSON = "application/geo+json"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"  # the type GDAL's OAPIF driver expects
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
]
# Query parameters of /items besides the property filters. `f` picks the encoding (GeoJSON only).
ITEMS_PARAMS = {"limit", "offset", "bbox", "bbox-crs", "f"}


def _personal(request) -> bool:
    return request.user.has_perm(WORKER_PERMISSION)


def _url(request, name: str, *args) -> str:
    return request.build_absolute_uri(reverse(name, args=args))


def _link(href: str, rel: str, type_: str, title: str = "") -> dict:
    return {"href": href, "rel": rel, "type": type_, **({"title": title} if title else {})}


def _collection_ids(request) -> list[str]:
    """The layers the catalogue exposes as collections (`ogc`) that this user may read."""
    return [k for k in layer_names(personal=_personal(request)) if LAYERS[k].ogc]


def _spec(request, collection_id: str) -> LayerColumns:
    if collection_id in LAYERS and not LAYERS[collection_id].ogc:
        raise NotFound(f"no collection {collection_id!r}: GET /ogc/collections lists them")
    return layer_spec(layer=collection_id, personal=_personal(request))


@require_safe
def landing(request):
    body = {
        "title": f"GridAtlas · {city_profile().name}",
        "description": "Community-grid layers (districts to buildings, stations, units) as OGC "
        "API Features, GeoJSON in CRS84.",
        "links": [
            _link(_url(request, "ogc-landing"), "self", JSON, "this document"),
            _link(_url(request, "ogc-openapi"), "service-desc", OPENAPI, "the API definition"),
            _link(_url(request, "ogc-conformance"), "conformance", JSON, "conformance classes"),
            _link(_url(request, "ogc-collections"), "data", JSON, "the collections"),
        ],
    }
    return json_response(body, content_type=JSON)


@require_safe
def conformance(request):
    return json_response({"conformsTo": CONFORMANCE}, content_type=JSON)


@require_safe
def openapi(request):
    doc = openapi_document(base_url=_url(request, "ogc-landing"), layers=_collection_ids(request))
    return json_response(doc, content_type=OPENAPI)


def _collection_body(request, spec: LayerColumns) -> dict:
    meta = apps.get_model(spec.model)._meta
    body = {
        "id": spec.layer,
        "title": str(meta.verbose_name),
        "description": f"{meta.verbose_name}: properties "
        + ", ".join(c.name for c in spec.columns),
        "itemType": "feature",
        "crs": [CRS84],
        "links": [
            _link(_url(request, "ogc-collection", spec.layer), "self", JSON),
            _link(_url(request, "ogc-items", spec.layer), "items", GEOJSON, "the features"),
        ],
    }
    extent = layer_extent(spec=spec)
    if extent:
        body["extent"] = {"spatial": {"bbox": [list(extent)], "crs": CRS84}}
    return body


@require_safe
def collections(request):
    body = {
        "collections": [
            _collection_body(request, layer_spec(layer=name, personal=True))
            for name in _collection_ids(request)
        ],
        "links": [_link(_url(request, "ogc-collections"), "self", JSON)],
    }
    return json_response(body, content_type=JSON)


@require_safe
def collection(request, collection_id: str):
    return json_response(
        _collection_body(request, _spec(request, collection_id)), content_type=JSON
    )


@dataclass(frozen=True)
class ItemsQuery:
    """/items parameters, validated: limit, offset, bbox and property filters."""

    limit: int
    offset: int
    bbox: BBox | None
    filters: dict[str, object]  # typed as the column: int, datetime.date or str

    @classmethod
    def parse(cls, params, spec: LayerColumns) -> "ItemsQuery":
        names = {c.name for c in spec.columns}
        unknown = sorted(set(params) - ITEMS_PARAMS - names)
        if unknown:
            raise BadRequest(
                f"unknown parameter {', '.join(unknown)}: filter by one of "
                + ", ".join(sorted(names)),
                parameters=sorted(ITEMS_PARAMS | names),
            )
        if params.get("f", "json") not in ("json", "geojson"):
            raise BadRequest("f: only json (GeoJSON) is served")
        if params.get("bbox-crs", CRS84) != CRS84:
            raise BadRequest(f"bbox-crs: only {CRS84} (lon/lat degrees) is supported")
        # A limit above the maximum is cut to it (OGC API Features, /req/core/query-param-limit).
        limit = min(
            int_parse(
                params.get("limit"),
                name="limit",
                low=1,
                high=BIGINT_MAX,
                default=settings.GRIDATLAS_OGC_DEFAULT_LIMIT_FEATURES,
            ),
            settings.GRIDATLAS_OGC_MAX_LIMIT_FEATURES,
        )
        offset = int_parse(params.get("offset"), name="offset", low=0, high=BIGINT_MAX, default=0)
        bbox = BBox.parse(params["bbox"]) if params.get("bbox") else None
        filters = {k: _filter(spec, k, params[k]) for k in params if k in names}
        return cls(limit, offset, bbox, filters)


def _filter(spec: LayerColumns, name: str, raw: str):
    """A property filter's value typed as its column, so PostgreSQL is never handed a date
    that is no date or a number beyond its integer column."""
    kind = spec.column(name).kind
    if kind == "int":
        return int_parse(raw, name=name, low=-INT4_MAX - 1, high=INT4_MAX)
    if kind == "date":
        return date_parse(raw, name=name)
    return raw


def _page_links(request, spec: LayerColumns, query: ItemsQuery, returned: int, matched: int):
    base = _url(request, "ogc-items", spec.layer)
    params = request.GET.dict()

    def href(offset: int) -> str:
        return base + "?" + urlencode({**params, "offset": offset, "limit": query.limit})

    links = [
        _link(href(query.offset), "self", GEOJSON, "this page"),
        _link(_url(request, "ogc-collection", spec.layer), "collection", JSON),
    ]
    if query.offset + returned < matched:
        links.append(_link(href(query.offset + query.limit), "next", GEOJSON, "next page"))
    if query.offset > 0:
        links.append(
            _link(href(max(0, query.offset - query.limit)), "prev", GEOJSON, "previous page")
        )
    return links


@rate_limited("files", when=ogc_page_is_large)
@require_safe
def items(request, collection_id: str):
    spec = _spec(request, collection_id)
    query = ItemsQuery.parse(request.GET, spec)
    page = layer_page(
        spec=spec, bbox=query.bbox, filters=query.filters, limit=query.limit, offset=query.offset
    )
    body = {
        "type": "FeatureCollection",
        "features": page.features,
        "numberMatched": page.number_matched,
        "numberReturned": len(page.features),
        "links": _page_links(request, spec, query, len(page.features), page.number_matched),
    }
    return json_response(body, content_type=GEOJSON)


@require_safe
def item(request, collection_id: str, feature_id: str):
    spec = _spec(request, collection_id)
    # Ids are primary keys: ASCII digits within bigint (isdigit() alone lets "²" through).
    digits = feature_id.isascii() and feature_id.isdigit() and len(feature_id) <= 19
    if not (digits and int(feature_id) <= BIGINT_MAX):
        raise NotFound(f"no feature {feature_id[:40]!r} in {collection_id}: ids are whole numbers")
    page = layer_page(spec=spec, pk=int(feature_id), limit=1)
    if not page.features:
        raise NotFound(f"no feature {feature_id} in {collection_id}")
    feature = page.features[0]
    feature["links"] = [
        _link(_url(request, "ogc-item", spec.layer, feature_id), "self", GEOJSON),
        _link(_url(request, "ogc-collection", spec.layer), "collection", JSON),
    ]
    return json_response(feature, content_type=GEOJSON)
