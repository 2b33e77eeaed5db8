"""Reads behind the web map: search-as-you-type over places, the card of a clicked feature, and
the street → community tree for zoom-to. Keys of `kind` are the tile layer keys, so the map
passes what it clicked straight through.

Bounding boxes are EPSG:4326 degrees, `[west, south, east, north]`, rounded to 1e-6° (≈0.1 m).
"""

from dataclasses import asdict, dataclass
from pathlib import Path

from django.contrib.gis.db.models.functions import Envelope
from django.db import connection
from django.db.models import Count, Sum

from geo.errors import NotFound
from geo.sql import sql_text
from layers.models import (
    Building,
    Community,
    Grid,
    MicroGrid,
    SentDownUnit,
    ServiceStation,
    Street,
    Xiaoqu,
)

SQL_DIR = Path(__file__).resolve().parent / "sql"
BBOX_DECIMALS = 6


@dataclass(frozen=True)
class PlaceHit:
    kind: str  # streets | communities | grids | xiaoqu
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


def _parents(*pairs) -> list[dict]:
    return [{"kind": kind, "code": obj.code, "name": obj.name} for kind, obj in pairs if obj]


def _street(pk: int) -> dict:
    s = Street.objects.select_related("district").annotate(n=Count("communities")).get(pk=pk)
    return {
        "obj": s,
        "parents": [{"kind": "districts", "code": s.district.code, "name": s.district.name}],
        "facts": {"communities": s.n},
    }


def _community(pk: int) -> dict:
    c = (
        Community.objects.select_related("street")
        .annotate(grids_n=Count("grids", distinct=True), units_n=Count("pairings", distinct=True))
        .get(pk=pk)
    )
    households = Building.objects.filter(community=c).aggregate(n=Sum("households"))["n"] or 0
    return {
        "obj": c,
        "parents": _parents(("streets", c.street)),
        "facts": {"households": households, "grids": c.grids_n, "units": c.units_n},
    }


def _unit_facts(unit) -> dict:
    return {
        "households": unit.households,
        "buildings": unit.building_count,
        "load": str(unit.load_status),
    }


def _grid(pk: int) -> dict:
    g = Grid.objects.select_related("community__street").annotate(n=Count("microgrids")).get(pk=pk)
    return {
        "obj": g,
        "parents": _parents(("streets", g.community.street), ("communities", g.community)),
        "facts": {**_unit_facts(g), "microgrids": g.n},
    }


def _microgrid(pk: int) -> dict:
    m = MicroGrid.objects.select_related("grid__community__street").get(pk=pk)
    c = m.grid.community
    return {
        "obj": m,
        "parents": _parents(("streets", c.street), ("communities", c), ("grids", m.grid)),
        "facts": _unit_facts(m),
    }


def _xiaoqu(pk: int) -> dict:
    x = Xiaoqu.objects.select_related("community__street").annotate(n=Count("buildings")).get(pk=pk)
    return {
        "obj": x,
        "parents": _parents(("streets", x.community.street), ("communities", x.community)),
        "facts": {
            "kind": x.get_kind_display(),
            "buildings": x.n,
            "party_organisation": bool(x.party_organisation),
            "owners_committee": bool(x.owners_committee),
            "property_company": bool(x.property_company),
        },
    }


def _building(pk: int) -> dict:
    b = Building.objects.select_related(
        "community__street", "xiaoqu", "parcel__grid", "parcel__micro_grid"
    ).get(pk=pk)
    parcel = b.parcel
    return {
        "obj": b,
        "parents": _parents(
            ("streets", b.community.street),
            ("communities", b.community),
            ("grids", parcel.grid if parcel else None),
            ("microgrids", parcel.micro_grid if parcel else None),
            ("xiaoqu", b.xiaoqu),
        ),
        "facts": {"households": b.households, "floors": b.floors, "units": b.units},
    }


def _station(pk: int) -> dict:
    s = ServiceStation.objects.select_related("street", "community", "xiaoqu").get(pk=pk)
    return {
        "obj": s,
        "parents": _parents(
            ("streets", s.street), ("communities", s.community), ("xiaoqu", s.xiaoqu)
        ),
        "facts": {
            "level": s.get_level_display(),
            "address": s.address,
            "opening_hours": s.opening_hours,
        },
    }


def _unit(pk: int) -> dict:
    u = SentDownUnit.objects.get(pk=pk)
    paired = list(u.communities.order_by("code").values_list("name", flat=True))
    return {
        "obj": u,
        "parents": [],
        "facts": {"kind": u.get_kind_display(), "paired_communities": "、".join(paired) or "—"},
    }


CARD_READERS = {
    "streets": (Street, _street),
    "communities": (Community, _community),
    "grids": (Grid, _grid),
    "microgrids": (MicroGrid, _microgrid),
    "xiaoqu": (Xiaoqu, _xiaoqu),
    "buildings": (Building, _building),
    "stations": (ServiceStation, _station),
    "units": (SentDownUnit, _unit),
}


def feature_card(*, kind: str, feature_id: int) -> dict:
    """What the map shows for a clicked feature: name, code, parents (street → community →
    grid …) and the layer's figures. No personal data (workers come with the lookup API)."""
    if kind not in CARD_READERS:
        raise NotFound(f"no feature kind {kind!r}; use one of {', '.join(CARD_READERS)}")
    model, read = CARD_READERS[kind]
    try:
        card = read(feature_id)
    except model.DoesNotExist:
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
