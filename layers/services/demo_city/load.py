"""Writes a CityPlan into PostGIS in one transaction: COPY for speed, then the same derivation
functions the triggers use, run once set-based (migration 0002)."""

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import shapely
from django.db import connection, transaction
from django.utils import timezone
from pyproj import Transformer

from geo.srid import STORAGE_SRID, metric_srid

from .load_tables import TABLE_STEPS, TableSpec
from .plan import CityPlan

LAYER_TABLES = [  # children first: the order TRUNCATE and trigger toggling use
    "layers_worker",
    "layers_pairing",
    "layers_sentdownunit",
    "layers_servicestation",
    "layers_road",
    "layers_address",
    "layers_compoundalias",
    "layers_building",
    "layers_parcel",
    "layers_microgrid",
    "layers_grid",
    "layers_xiaoqu",
    "layers_community",
    "layers_street",
    "layers_district",
]
HISTORY_TABLES = [
    "layers_buildingevent",
    "layers_parcelevent",
    "layers_microgridevent",
    "layers_gridevent",
    "layers_xiaoquevent",
    "layers_communityevent",
    "layers_streetevent",
    "layers_districtevent",
]


class CityNotEmpty(Exception):
    """The database already holds a city and the caller did not ask to replace it."""


def to_storage_hex(geoms: Iterable, *, srid_from: int) -> list[str | None]:
    """Metric-CRS shapely geometries → EWKB hex in STORAGE_SRID (PROJ does the maths)."""
    arr = np.array(list(geoms), dtype=object)
    mask = np.array([g is not None for g in arr], dtype=bool)
    out: list[str | None] = [None] * len(arr)
    if mask.any():
        tr = Transformer.from_crs(srid_from, STORAGE_SRID, always_xy=True)
        moved = shapely.transform(
            arr[mask], lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1]))
        )
        moved = shapely.set_srid(moved, STORAGE_SRID)
        bad = ~shapely.is_valid(moved)
        if bad.any():
            first = moved[np.flatnonzero(bad)[0]]
            raise ValueError(
                f"{int(bad.sum())} generated geometries are invalid in degrees, e.g. "
                f"{shapely.is_valid_reason(first)}: a generator bug, not bad input"
            )
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
        cur.execute(
            "SELECT NOT EXISTS (SELECT 1 FROM layers_district)"
            " AND NOT EXISTS (SELECT 1 FROM layers_community)"
        )
        return cur.fetchone()[0]


def city_load(*, plan: CityPlan, replace: bool = False, progress=None) -> dict[str, int]:
    """Load the plan; all or nothing. Returns row counts per table."""
    step = progress or (lambda msg: None)
    # COPY goes through the raw psycopg cursor; wrap_database_errors turns its errors into
    # Django's (IntegrityError, …) like every other query.
    with transaction.atomic(), connection.cursor() as wrapper, connection.wrap_database_errors:
        cur = wrapper.cursor
        if replace:
            cur.execute(
                f"TRUNCATE {', '.join(LAYER_TABLES + HISTORY_TABLES)} RESTART IDENTITY CASCADE"
            )
        elif not city_is_empty():
            raise CityNotEmpty("the database already holds a city: pass --replace to rebuild it")
        # Bulk load of fully derived data: row triggers (history, derivation) would do the same
        # work 150,000 times; the derivation runs once below instead. FK triggers stay on.
        for t in LAYER_TABLES:
            cur.execute(f"ALTER TABLE {t} DISABLE TRIGGER USER")
        loader = _Loader(cur=cur, srid_from=metric_srid(), now=timezone.now())
        for label, tables in TABLE_STEPS:
            step(label)
            for spec in tables:
                loader.load(plan, spec)
        # The bulk load bypassed the tile purge triggers: empty the tile cache instead.
        cur.execute("TRUNCATE tiles_cache")
        cur.execute("UPDATE tiles_epoch SET epoch = epoch + 1")
        step("deriving households and grid polygons")
        cur.execute("SELECT ga_refresh_parcels(NULL)")
        cur.execute("SELECT ga_refresh_units(NULL, NULL)")
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")  # run the deferred FK checks now
        counts = {}
        for t in LAYER_TABLES:
            cur.execute(f"ALTER TABLE {t} ENABLE TRIGGER USER")
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{t}', 'id'),"  # noqa: S608 - constants
                f" coalesce((SELECT max(id) FROM {t}), 0) + 1, false)"
            )
            cur.execute(f"SELECT count(*) FROM {t}")  # noqa: S608 - table names are constants
            counts[t.removeprefix("layers_")] = cur.fetchone()[0]
    with connection.cursor() as cur:
        for t in LAYER_TABLES:
            cur.execute(f"ANALYZE {t}")
    return counts


@dataclass
class _Loader:
    cur: object
    srid_from: int
    now: object
    ids: dict = field(default_factory=dict)

    def load(self, plan: CityPlan, spec: TableSpec) -> None:
        recs = getattr(plan, spec.plan_list)
        hexes = (
            to_storage_hex((spec.geom(r) for r in recs), srid_from=self.srid_from)
            if spec.geom
            else [None] * len(recs)
        )
        stamps = (self.now, self.now) if spec.stamped else ()
        columns = ["id", *(("created_at", "updated_at") if spec.stamped else ()), *spec.columns]
        _copy(
            self.cur,
            spec.table,
            columns,
            (
                (i, *stamps, *spec.row(r, self.ids, h))
                for i, (r, h) in enumerate(zip(recs, hexes, strict=True), start=1)
            ),
        )
        if spec.key:
            self.ids[spec.plan_list] = {r[spec.key]: i for i, r in enumerate(recs, start=1)}
