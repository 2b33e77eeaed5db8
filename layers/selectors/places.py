"""Reads behind the web map: search-as-you-type over places, the card of a clicked feature, and
the street → community tree for zoom-to. Keys of `kind` are the tile layer keys, so the map
passes what it clicked straight through.

Bounding boxes are EPSG:4326 degrees, `[west, south, east, north]`, rounded to 1e-6° (≈0.1 m).
"""

from dataclasses import asdict, dataclass
from pathlib import Path

from django.contrib.gis.db.models.functions import Envelope
from django.db import connection

from geo.errors import NotFound
from geo.sql import sql_text
from layers.catalogue import card_layers
from layers.models import Community, Street

SQL_DIR = Path(__file__).resolve().parent / "sql"
BBOX_DECIMALS = 6


@dataclass(frozen=True)
class PlaceHit:
    kind: str  # streets | communities | grids | compounds
    id: int
    code: str
    name: str
    context: str  # the parent's name, to tell two 幸福社区 apart
    bbox: list[float]


def _like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def place_search(*, q: str, limit: int) -> list[PlaceHit]:
    """Places whose name contains `q` or whose code starts with it, best match first (exact,
    then prefix, then contains; shorter names first). One statement over the four layers."""
    q = q.strip()
    if not q:
        return []
    escaped = _like_escaped(q)
    params = {"q": q, "pattern": f"%{escaped}%", "prefix": f"{escaped}%", "limit": limit}
    with connection.cursor() as cur:
        cur.execute(sql_text(SQL_DIR / "place_search.sql"), params)
        rows = cur.fetchall()
    return [
        PlaceHit(kind, pk, code, name, context, [round(v, BBOX_DECIMALS) for v in box])
        for kind, pk, code, name, context, *box in rows
    ]


def _bbox(geom) -> list[float]:
    return [round(v, BBOX_DECIMALS) for v in geom.extent]


def feature_card(*, kind: str, feature_id: int) -> dict:
    """What the map shows for a clicked feature: name, code, parents (street → community →
    grid …) and the layer's figures. No personal data (workers come with the lookup API)."""
    readers = card_layers()
    if kind not in readers:
        raise NotFound(f"no feature kind {kind!r}; use one of {', '.join(readers)}")
    layer = readers[kind]
    try:
        card = layer.card(feature_id)
    except layer.model.DoesNotExist:
        raise NotFound(
            f"no {kind} feature with id {feature_id}; it may have been deleted"
        ) from None
    obj = card.pop("obj")
    return {
        "kind": kind,
        "id": obj.pk,
        "code": getattr(obj, "code", ""),
        "name": obj.name,
        "bbox": _bbox(obj.geom) if obj.geom is not None else None,
        **card,
    }


def division_tree(*, street_code: str | None = None) -> list[dict]:
    """Streets (with their district), or the communities of one street: the zoom-to lists."""
    # The envelope is computed in the database: the outlines themselves are not needed here.
    if street_code is None:
        rows = (
            Street.objects.select_related("district")
            .annotate(box=Envelope("geom"))
            .defer("geom", "geom_3857", "district__geom", "district__geom_3857")
            .order_by("district__code", "code")
        )
        return [
            {"code": s.code, "name": s.name, "district": s.district.name, "bbox": _bbox(s.box)}
            for s in rows
        ]
    if not Street.objects.filter(code=street_code).exists():
        raise NotFound(f"no street with code {street_code!r}; GET /api/divisions lists them")
    rows = (
        Community.objects.filter(street__code=street_code)
        .annotate(box=Envelope("geom"))
        .defer("geom", "geom_3857")
        .order_by("code")
    )
    return [{"code": c.code, "name": c.name, "bbox": _bbox(c.box)} for c in rows]


def hits_as_dicts(hits: list[PlaceHit]) -> list[dict]:
    return [asdict(h) for h in hits]
