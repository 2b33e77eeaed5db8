"""Which plan list goes into which table, with which columns: the loader's one registry."""

from collections.abc import Callable
from dataclasses import dataclass

import shapely


def _multi(g):
    return g if g is None or g.geom_type == "MultiPolygon" else shapely.MultiPolygon([g])


@dataclass(frozen=True)
class TableSpec:
    """How one plan list becomes one table: its columns after `id`, a row function (record,
    ids, geometry hex) and, for spatial tables, the geometry to store."""

    plan_list: str
    table: str
    columns: tuple[str, ...]
    row: Callable
    geom: Callable | None = None
    key: str | None = None  # the record field other tables refer to this one by
    stamped: bool = True  # has created_at/updated_at


def _multi_line(r):
    g = r["geom"]
    return g if g.geom_type == "MultiLineString" else shapely.MultiLineString([g])


def _g(r):
    return r["geom"]


def _gm(r):
    return _multi(r["geom"])


TABLE_STEPS = [
    (
        "districts, streets, communities",
        [
            TableSpec(
                "districts",
                "layers_district",
                ("code", "name", "geom"),
                lambda r, ids, h: (r["code"], r["name"], h),
                _gm,
                key="code",
            ),
            TableSpec(
                "streets",
                "layers_street",
                ("code", "name", "geom", "district_id"),
                lambda r, ids, h: (r["code"], r["name"], h, ids["districts"][r["district"]]),
                _gm,
                key="code",
            ),
            TableSpec(
                "communities",
                "layers_community",
                ("code", "name", "geom", "street_id", "urban_rural_code"),
                lambda r, ids, h: (r["code"], r["name"], h, ids["streets"][r["street"]], r["ur"]),
                _gm,
                key="code",
            ),
        ],
    ),
    (
        "grids, micro-grids, parcels",
        [
            TableSpec(
                "grids",
                "layers_grid",
                (
                    "code",
                    "name",
                    "geom",
                    "geom_source",
                    "households",
                    "building_count",
                    "community_id",
                ),
                lambda r, ids, h: (
                    r["code"],
                    r["name"],
                    h,
                    r["geom_source"],
                    0,
                    0,
                    ids["communities"][r["community"]],
                ),
                _gm,
                key="code",
            ),
            TableSpec(
                "microgrids",
                "layers_microgrid",
                ("code", "name", "geom", "geom_source", "households", "building_count", "grid_id"),
                lambda r, ids, h: (
                    r["code"],
                    r["name"],
                    h,
                    r["geom_source"],
                    0,
                    0,
                    ids["grids"][r["grid"]],
                ),
                _gm,
                key="code",
            ),
            TableSpec(
                "parcels",
                "layers_parcel",
                (
                    "community_id",
                    "grid_id",
                    "micro_grid_id",
                    "geom",
                    "households",
                    "building_count",
                ),
                lambda r, ids, h: (
                    ids["communities"][r["community"]],
                    ids["grids"].get(r["grid"]),
                    ids["microgrids"].get(r["microgrid"]),
                    h,
                    0,
                    0,
                ),
                _g,
            ),
        ],
    ),
    (
        "compounds, buildings, addresses",
        [
            TableSpec(
                "xiaoqus",
                "layers_xiaoqu",
                (
                    "code",
                    "name",
                    "geom",
                    "community_id",
                    "kind",
                    "property_company",
                    "owners_committee",
                    "party_organisation",
                ),
                lambda r, ids, h: (
                    r["code"],
                    r["name"],
                    h,
                    ids["communities"][r["community"]],
                    r["kind"],
                    r["property_company"],
                    r["owners_committee"],
                    r["party_organisation"],
                ),
                _gm,
                key="code",
            ),
            TableSpec(
                "aliases",
                "layers_compoundalias",
                ("xiaoqu_id", "alias"),
                lambda r, ids, h: (ids["xiaoqus"][r["xiaoqu"]], r["alias"]),
                stamped=False,
            ),
            TableSpec(
                "buildings",
                "layers_building",
                (
                    "code",
                    "name",
                    "community_id",
                    "xiaoqu_id",
                    "parcel_id",
                    "geom",
                    "households",
                    "units",
                    "floors",
                ),
                lambda r, ids, h: (
                    r["code"],
                    r["name"],
                    ids["communities"][r["community"]],
                    ids["xiaoqus"].get(r["xiaoqu"]),
                    r["parcel"] + 1,
                    h,
                    r["households"],
                    r["units"],
                    r["floors"],
                ),
                _g,
                key="code",
            ),
            TableSpec(
                "addresses",
                "layers_address",
                ("text", "normalized", "building_id", "geom"),
                lambda r, ids, h: (r["text"], r["normalized"], ids["buildings"][r["building"]], h),
                _g,
            ),
        ],
    ),
    (
        "stations, roads, units, pairings, workers",
        [
            TableSpec(
                "stations",
                "layers_servicestation",
                (
                    "name",
                    "level",
                    "street_id",
                    "community_id",
                    "xiaoqu_id",
                    "address",
                    "opening_hours",
                    "geom",
                ),
                lambda r, ids, h: (
                    r["name"],
                    r["level"],
                    ids["streets"][r["street"]],
                    ids["communities"].get(r["community"]),
                    ids["xiaoqus"].get(r["xiaoqu"]),
                    r["address"],
                    "09:00-17:30",
                    h,
                ),
                _g,
            ),
            TableSpec(
                "roads",
                "layers_road",
                ("name", "kind", "walkable", "geom"),
                lambda r, ids, h: (r["name"], r["kind"], r["walkable"], h),
                _multi_line,
            ),
            TableSpec(
                "units",
                "layers_sentdownunit",
                ("name", "kind", "address", "geom"),
                lambda r, ids, h: (r["name"], r["kind"], r["address"], h),
                _g,
                key="name",
            ),
            TableSpec(
                "pairings",
                "layers_pairing",
                ("unit_id", "community_id", "since", "registered_members", "tasks"),
                lambda r, ids, h: (
                    ids["units"][r["unit"]],
                    ids["communities"][r["community"]],
                    r["since"],
                    r["registered_members"],
                    r["tasks"],
                ),
            ),
            TableSpec(
                "workers",
                "layers_worker",
                ("name", "phone", "role", "grid_id", "micro_grid_id", "building_id"),
                lambda r, ids, h: (
                    r["name"],
                    r["phone"],
                    r["role"],
                    ids["grids"].get(r.get("grid")),
                    ids["microgrids"].get(r.get("micro_grid")),
                    ids["buildings"].get(r.get("building")),
                ),
            ),
        ],
    ),
]
