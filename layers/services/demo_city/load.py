"""Writes a CityPlan into PostGIS in one transaction: COPY for speed, then the same derivation
functions the triggers use, run once set-based (migration 0002)."""

from collections.abc import Iterable

import numpy as np
import shapely
from django.db import connection, transaction
from django.utils import timezone
from pyproj import Transformer

from geo.srid import STORAGE_SRID, metric_srid

from .plan import CityPlan

LAYER_TABLES = [  # children first: the order TRUNCATE and trigger toggling use
    "layers_worker", "layers_pairing", "layers_sentdownunit", "layers_servicestation",
    "layers_address", "layers_compoundalias", "layers_building", "layers_parcel",
    "layers_microgrid", "layers_grid", "layers_xiaoqu", "layers_community", "layers_street",
    "layers_district",
]
HISTORY_TABLES = ["layers_buildingevent", "layers_parcelevent", "layers_microgridevent",
                  "layers_gridevent", "layers_xiaoquevent", "layers_communityevent",
                  "layers_streetevent", "layers_districtevent"]


class CityNotEmpty(Exception):
    """The database already holds a city and the caller did not ask to replace it."""


def to_storage_hex(geoms: Iterable, *, srid_from: int) -> list[str | None]:
    """Metric-CRS shapely geometries → EWKB hex in STORAGE_SRID (PROJ does the maths)."""
    arr = np.array(list(geoms), dtype=object)
    mask = np.array([g is not None for g in arr], dtype=bool)
    out: list[str | None] = [None] * len(arr)
    if mask.any():
        tr = Transformer.from_crs(srid_from, STORAGE_SRID, always_xy=True)
        moved = shapely.transform(arr[mask], lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))
        moved = shapely.set_srid(moved, STORAGE_SRID)
        bad = ~shapely.is_valid(moved)
        if bad.any():
            first = moved[np.flatnonzero(bad)[0]]
            raise ValueError(f"{int(bad.sum())} generated geometries are invalid in degrees, e.g. "
                             f"{shapely.is_valid_reason(first)}: a generator bug, not bad input")
        hexes = shapely.to_wkb(moved, hex=True, include_srid=True)
        for i, h in zip(np.flatnonzero(mask), hexes, strict=True):
            out[int(i)] = h
    return out


def _multi(g):
    return g if g is None or g.geom_type == "MultiPolygon" else shapely.MultiPolygon([g])


def _copy(cur, table: str, columns: list[str], rows: Iterable[tuple]) -> None:
    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as cp:
        for row in rows:
            cp.write_row(row)


def city_is_empty() -> bool:
    with connection.cursor() as cur:
        cur.execute("SELECT NOT EXISTS (SELECT 1 FROM layers_district)"
                    " AND NOT EXISTS (SELECT 1 FROM layers_community)")
        return cur.fetchone()[0]


def city_load(*, plan: CityPlan, replace: bool = False, progress=None) -> dict[str, int]:
    """Load the plan; all or nothing. Returns row counts per table."""
    step = progress or (lambda msg: None)
    src = metric_srid()
    now = timezone.now()
    # COPY goes through the raw psycopg cursor; wrap_database_errors turns its errors into
    # Django's (IntegrityError, …) like every other query.
    with transaction.atomic(), connection.cursor() as wrapper, connection.wrap_database_errors:
        cur = wrapper.cursor
        if replace:
            cur.execute(f"TRUNCATE {', '.join(LAYER_TABLES + HISTORY_TABLES)} RESTART IDENTITY CASCADE")
        elif not city_is_empty():
            raise CityNotEmpty("the database already holds a city: pass --replace to rebuild it")
        # Bulk load of fully derived data: row triggers (history, derivation) would do the same
        # work 150,000 times; the derivation runs once below instead. FK triggers stay on.
        for t in LAYER_TABLES:
            cur.execute(f"ALTER TABLE {t} DISABLE TRIGGER USER")

        ids = {}

        def idmap(name, key, recs):
            ids[name] = {r[key]: i for i, r in enumerate(recs, start=1)}

        step("districts, streets, communities")
        idmap("district", "code", plan.districts)
        _copy(cur, "layers_district", ["id", "created_at", "updated_at", "code", "name", "geom"],
              ((i, now, now, r["code"], r["name"], h) for i, (r, h) in enumerate(zip(
                  plan.districts, to_storage_hex((_multi(r["geom"]) for r in plan.districts),
                                                 srid_from=src)), start=1)))
        idmap("street", "code", plan.streets)
        _copy(cur, "layers_street", ["id", "created_at", "updated_at", "code", "name", "geom",
                                     "district_id"],
              ((i, now, now, r["code"], r["name"], h, ids["district"][r["district"]])
               for i, (r, h) in enumerate(zip(plan.streets, to_storage_hex(
                   (_multi(r["geom"]) for r in plan.streets), srid_from=src)), start=1)))
        idmap("community", "code", plan.communities)
        _copy(cur, "layers_community", ["id", "created_at", "updated_at", "code", "name", "geom",
                                        "street_id", "urban_rural_code"],
              ((i, now, now, r["code"], r["name"], h, ids["street"][r["street"]], r["ur"])
               for i, (r, h) in enumerate(zip(plan.communities, to_storage_hex(
                   (_multi(r["geom"]) for r in plan.communities), srid_from=src)), start=1)))

        step("grids, micro-grids, parcels")
        idmap("grid", "code", plan.grids)
        _copy(cur, "layers_grid", ["id", "created_at", "updated_at", "code", "name", "geom",
                                   "geom_source", "households", "building_count", "community_id"],
              ((i, now, now, r["code"], r["name"], h, r["geom_source"], 0, 0,
                ids["community"][r["community"]])
               for i, (r, h) in enumerate(zip(plan.grids, to_storage_hex(
                   (_multi(r["geom"]) for r in plan.grids), srid_from=src)), start=1)))
        idmap("microgrid", "code", plan.microgrids)
        _copy(cur, "layers_microgrid", ["id", "created_at", "updated_at", "code", "name", "geom",
                                        "geom_source", "households", "building_count", "grid_id"],
              ((i, now, now, r["code"], r["name"], h, r["geom_source"], 0, 0,
                ids["grid"][r["grid"]])
               for i, (r, h) in enumerate(zip(plan.microgrids, to_storage_hex(
                   (_multi(r["geom"]) for r in plan.microgrids), srid_from=src)), start=1)))
        _copy(cur, "layers_parcel", ["id", "created_at", "updated_at", "community_id", "grid_id",
                                     "micro_grid_id", "geom", "households", "building_count"],
              ((i, now, now, ids["community"][r["community"]], ids["grid"].get(r["grid"]),
                ids["microgrid"].get(r["microgrid"]), h, 0, 0)
               for i, (r, h) in enumerate(zip(plan.parcels, to_storage_hex(
                   (r["geom"] for r in plan.parcels), srid_from=src)), start=1)))

        step("compounds, buildings, addresses")
        idmap("xiaoqu", "code", plan.xiaoqus)
        _copy(cur, "layers_xiaoqu", ["id", "created_at", "updated_at", "code", "name", "geom",
                                     "community_id", "kind", "property_company",
                                     "owners_committee", "party_organisation"],
              ((i, now, now, r["code"], r["name"], h, ids["community"][r["community"]], r["kind"],
                r["property_company"], r["owners_committee"], r["party_organisation"])
               for i, (r, h) in enumerate(zip(plan.xiaoqus, to_storage_hex(
                   (_multi(r["geom"]) for r in plan.xiaoqus), srid_from=src)), start=1)))
        _copy(cur, "layers_compoundalias", ["id", "xiaoqu_id", "alias"],
              ((i, ids["xiaoqu"][r["xiaoqu"]], r["alias"])
               for i, r in enumerate(plan.aliases, start=1)))
        idmap("building", "code", plan.buildings)
        _copy(cur, "layers_building", ["id", "created_at", "updated_at", "code", "name",
                                       "community_id", "xiaoqu_id", "parcel_id", "geom",
                                       "households", "units", "floors"],
              ((i, now, now, r["code"], r["name"], ids["community"][r["community"]],
                ids["xiaoqu"].get(r["xiaoqu"]), r["parcel"] + 1, h, r["households"], r["units"],
                r["floors"])
               for i, (r, h) in enumerate(zip(plan.buildings, to_storage_hex(
                   (r["geom"] for r in plan.buildings), srid_from=src)), start=1)))
        _copy(cur, "layers_address", ["id", "created_at", "updated_at", "text", "normalized",
                                      "building_id", "geom"],
              ((i, now, now, r["text"], r["normalized"], ids["building"][r["building"]], h)
               for i, (r, h) in enumerate(zip(plan.addresses, to_storage_hex(
                   (r["geom"] for r in plan.addresses), srid_from=src)), start=1)))

        step("stations, units, pairings, workers")
        _copy(cur, "layers_servicestation", ["id", "created_at", "updated_at", "name", "level",
                                             "street_id", "community_id", "xiaoqu_id", "address",
                                             "opening_hours", "geom"],
              ((i, now, now, r["name"], r["level"], ids["street"][r["street"]],
                ids["community"].get(r["community"]), ids["xiaoqu"].get(r["xiaoqu"]),
                r["address"], "09:00-17:30", h)
               for i, (r, h) in enumerate(zip(plan.stations, to_storage_hex(
                   (r["geom"] for r in plan.stations), srid_from=src)), start=1)))
        idmap("unit", "name", plan.units)
        _copy(cur, "layers_sentdownunit", ["id", "created_at", "updated_at", "name", "kind",
                                           "address", "geom"],
              ((i, now, now, r["name"], r["kind"], r["address"], h)
               for i, (r, h) in enumerate(zip(plan.units, to_storage_hex(
                   (r["geom"] for r in plan.units), srid_from=src)), start=1)))
        _copy(cur, "layers_pairing", ["id", "created_at", "updated_at", "unit_id", "community_id",
                                      "since", "registered_members", "tasks"],
              ((i, now, now, ids["unit"][r["unit"]], ids["community"][r["community"]], r["since"],
                r["registered_members"], r["tasks"]) for i, r in enumerate(plan.pairings, start=1)))
        _copy(cur, "layers_worker", ["id", "created_at", "updated_at", "name", "phone", "role",
                                     "grid_id", "micro_grid_id", "building_id"],
              ((i, now, now, r["name"], r["phone"], r["role"], ids["grid"].get(r.get("grid")),
                ids["microgrid"].get(r.get("micro_grid")), ids["building"].get(r.get("building")))
               for i, r in enumerate(plan.workers, start=1)))

        step("deriving households and grid polygons")
        cur.execute("SELECT ga_refresh_parcels(NULL)")
        cur.execute("SELECT ga_refresh_units(NULL, NULL)")
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")  # run the deferred FK checks now
        for t in LAYER_TABLES:
            cur.execute(f"ALTER TABLE {t} ENABLE TRIGGER USER")
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{t}', 'id'),"
                        f" coalesce((SELECT max(id) FROM {t}), 0) + 1, false)")
        counts = {}
        for t in LAYER_TABLES:
            cur.execute(f"SELECT count(*) FROM {t}")
            counts[t.removeprefix("layers_")] = cur.fetchone()[0]
    with connection.cursor() as cur:
        for t in LAYER_TABLES:
            cur.execute(f"ANALYZE {t}")
    return counts
