"""Organisation coverage: compounds (小区) with no party organisation (小区党组织), no owners'
committee (业委会), or no service station within walking distance.

A blank party organisation or owners' committee means none (the model's convention). The station
test measures from the compound's **polygon**, not its centroid: the straight line from the
nearest edge (0 when the station stands inside), in the city's metric CRS, times
GRIDATLAS_WALK_DETOUR_FACTOR, the same walking estimate as the straight mode of the building
coverage. A large compound whose gate is near a station is then served, as residents find it.

>>> report = organisation_report(distance_m=500)  # doctest: +SKIP
>>> report.total["no_party_organisation"]  # doctest: +SKIP
2208
"""

from dataclasses import dataclass

import numpy as np
import shapely

from geo.city_profile import city_profile
from geo.domain import detour_factor
from geo.errors import BadRequest
from layers.analysis import CITY, Area, sql_rows
from layers.analysis.points import StationPoints, station_points, to_metric_xy

GAPS = ("no_party_organisation", "no_owners_committee", "no_station")
# Not shown: the id, the polygon, and the has_ flags the no_ columns restate.
DROPPED = ("id", "geom_wkb", "has_party_organisation", "has_owners_committee")


@dataclass(frozen=True)
class OrganisationReport:
    """Compounds with at least one gap (`compounds`, capped by the limit), counts per street and
    per community (`by_street`, `by_community`) and for the area (`total`).

    A count row: code, name, compounds, households, no_party_organisation, no_owners_committee,
    no_station, no_any (at least one gap), no_all (all three gaps).
    """

    distance_m: float
    levels: tuple[str, ...] | None
    gap: str | None  # the gap the list is narrowed to (None: any gap)
    compounds_listed: int  # compounds listed (with the gap asked for), before the limit
    compounds: list[dict]
    by_street: list[dict]
    by_community: list[dict]
    total: dict


def compound_station_walk(
    *, polygons_wkb: list[bytes], stations: StationPoints
) -> tuple[np.ndarray, np.ndarray]:
    """(nearest station index into `stations`, walk in metres) from each polygon given as
    EPSG:4326 WKB: (-1, inf) when there is no station. Pure: no database."""
    n = len(polygons_wkb)
    index = np.full(n, -1, dtype=np.int64)
    walk = np.full(n, np.inf)
    if n == 0 or len(stations) == 0:
        return index, walk
    polygons = shapely.transform(shapely.from_wkb(polygons_wkb), to_metric_xy)
    tree = shapely.STRtree(shapely.points(stations.x_m, stations.y_m))
    (p, s), d = tree.query_nearest(polygons, return_distance=True, all_matches=False)
    index[p] = s
    walk[p] = d * detour_factor()
    return index, walk


def _count_row(code: str, name: str, compounds: list[dict]) -> dict:
    row = {"code": code, "name": name, "compounds": len(compounds)}
    row["households"] = sum(c["households"] for c in compounds)
    for gap in GAPS:
        row[gap] = sum(c[gap] for c in compounds)
    row["no_any"] = sum(any(c[g] for g in GAPS) for c in compounds)
    row["no_all"] = sum(all(c[g] for g in GAPS) for c in compounds)
    return row


def organisation_rows(
    *, compounds: list[dict], walk_m: np.ndarray, station_names: list, distance_m: float
) -> list[dict]:
    """Each compound as a row with its gaps (booleans) and its nearest station. Pure."""
    rows = []
    for c, walk, station in zip(compounds, walk_m, station_names, strict=True):
        finite = bool(np.isfinite(walk))
        rows.append(
            {
                **{k: v for k, v in c.items() if k not in DROPPED},
                "no_party_organisation": not c["has_party_organisation"],
                "no_owners_committee": not c["has_owners_committee"],
                "no_station": not (finite and walk <= distance_m),
                "nearest_station_m": round(float(walk), 1) if finite else None,
                "nearest_station_name": station,
            }
        )
    return rows


def organisation_counts(*, rows: list[dict], by: str) -> list[dict]:
    """Count rows per street or community (in code order). Pure."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for r in rows:
        groups.setdefault((r[f"{by}_code"], r[f"{by}_name"]), []).append(r)
    return [_count_row(code, name, group) for (code, name), group in sorted(groups.items())]


def organisation_report(
    *,
    distance_m: float,
    levels: tuple[str, ...] | None = None,
    area: Area = CITY,
    limit: int | None = None,
    gap: str | None = None,
) -> OrganisationReport:
    """Organisation coverage of the compounds of `area`, stations of `levels` (all when None)
    counting within `distance_m` metres of walk; the first `limit` compounds with a gap (with
    `gap`, one of GAPS, when given) are listed (all when None), and `compounds_listed` counts
    them all: a page showing one gap's list must not count a list capped over every gap."""
    if gap is not None and gap not in GAPS:
        raise BadRequest(f"gap must be one of {', '.join(GAPS)}, not {gap!r}")
    compounds = sql_rows("compounds.sql", area.sql_params())
    stations = station_points(levels=levels)
    index, walk = compound_station_walk(
        polygons_wkb=[bytes(c["geom_wkb"]) for c in compounds], stations=stations
    )
    names = [stations.name[i] if i >= 0 else None for i in index]
    rows = organisation_rows(
        compounds=compounds, walk_m=walk, station_names=names, distance_m=distance_m
    )
    wanted = (gap,) if gap else GAPS
    gapped = [r for r in rows if any(r[g] for g in wanted)]
    return OrganisationReport(
        distance_m=distance_m,
        levels=levels,
        gap=gap,
        compounds_listed=len(gapped),
        compounds=gapped[:limit] if limit else gapped,
        by_street=organisation_counts(rows=rows, by="street"),
        by_community=organisation_counts(rows=rows, by="community"),
        total=_count_row(
            area.code or city_profile().code,
            area.name or city_profile().name,
            rows,
        ),
    )
