"""The card of a clicked map feature, one reader per layer (layers.catalogue names each layer's):
the feature itself (`obj`), its parents (street → community → grid …, each with the catalogue key
of its layer as `kind`) and the layer's figures. No personal data (workers come with the lookup
API). layers.selectors.places.feature_card picks the reader and shapes the answer.
"""

from django.db.models import Count, Sum

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


def _parents(*pairs) -> list[dict]:
    return [{"kind": kind, "code": obj.code, "name": obj.name} for kind, obj in pairs if obj]


def street_card(pk: int) -> dict:
    s = Street.objects.select_related("district").annotate(n=Count("communities")).get(pk=pk)
    return {
        "obj": s,
        "parents": [{"kind": "districts", "code": s.district.code, "name": s.district.name}],
        "facts": {"communities": s.n},
    }


def community_card(pk: int) -> dict:
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


def grid_card(pk: int) -> dict:
    g = Grid.objects.select_related("community__street").annotate(n=Count("microgrids")).get(pk=pk)
    return {
        "obj": g,
        "parents": _parents(("streets", g.community.street), ("communities", g.community)),
        "facts": {**_unit_facts(g), "microgrids": g.n},
    }


def microgrid_card(pk: int) -> dict:
    m = MicroGrid.objects.select_related("grid__community__street").get(pk=pk)
    c = m.grid.community
    return {
        "obj": m,
        "parents": _parents(("streets", c.street), ("communities", c), ("grids", m.grid)),
        "facts": _unit_facts(m),
    }


def compound_card(pk: int) -> dict:
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


def building_card(pk: int) -> dict:
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
            ("compounds", b.xiaoqu),
        ),
        "facts": {"households": b.households, "floors": b.floors, "units": b.units},
    }


def station_card(pk: int) -> dict:
    s = ServiceStation.objects.select_related("street", "community", "xiaoqu").get(pk=pk)
    return {
        "obj": s,
        "parents": _parents(
            ("streets", s.street), ("communities", s.community), ("compounds", s.xiaoqu)
        ),
        "facts": {
            "level": s.get_level_display(),
            "address": s.address,
            "opening_hours": s.opening_hours,
        },
    }


def unit_card(pk: int) -> dict:
    u = SentDownUnit.objects.get(pk=pk)
    paired = list(u.communities.order_by("code").values_list("name", flat=True))
    return {
        "obj": u,
        "parents": [],
        "facts": {"kind": u.get_kind_display(), "paired_communities": "、".join(paired) or "—"},
    }
