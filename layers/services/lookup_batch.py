"""Batch lookup of a spreadsheet: the same table out, every row in its place, with grid columns,
the matched compound and building, how each row was matched, and the rows that got no grid with
the reason (lookup_batch_table.py reads and writes the files).

Each row is looked up by what it has: valid coordinates (经度/纬度, lon/lat) by point, an address
(地址) by address, both by both. Points are looked up all at once (layers.selectors.batch_points);
addresses of the plain form too, in one statement (address_batch), the rest one by one
(address_candidates). A row's grid is filled only when its answer is certain: an address
the search is unsure of, or an address and a point that disagree (another grid, or more than
GRIDATLAS_BATCH_DISAGREE_M apart), leaves the grid blank for review, with the candidate and the
distance beside it — never a guess in the grid columns.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.utils.translation import gettext as _
from pyproj import Geod

from geo.chinese_crs import to_wgs84_many
from geo.domain import lonlat_in_china, lonlat_valid
from geo.errors import BadRequest
from layers.selectors.address_batch import address_answers
from layers.selectors.address_search import address_candidates
from layers.selectors.batch_points import point_columns
from layers.services.lookup_batch_parallel import by_name, chunks, parallel_map, threads_for
from layers.services.lookup_batch_table import (  # noqa: F401 - the service's file API
    FORMATS,
    UNMATCHED_ROW_HEADER,
    Table,
    csv_decode,
    table_read,
    table_write,
)

ADDRESS_COLUMNS = ("address", "addr", "地址", "详细地址", "住址", "q")
LON_COLUMNS = ("lon", "lng", "long", "longitude", "经度", "x")
LAT_COLUMNS = ("lat", "latitude", "纬度", "y")
GRID_COLUMNS = (
    "街道",
    "社区",
    "网格编码",
    "网格",
    "微网格编码",
    "微网格",
    "最近驿站",
    "驿站距离(米)",
)
ADDED_COLUMNS = (
    *GRID_COLUMNS,
    "小区",
    "楼栋",
    "匹配方式",
    "距离差(米)",
    "候选",
    "匹配结果",  # last: the reason a row has no grid, or 已匹配
)
BY_POINT, BY_ADDRESS, BY_BOTH = "坐标", "地址", "坐标+地址"
GEOD = Geod(ellps="WGS84")
PROGRESS_EVERY = 100  # address rows between progress calls on the per-row path


@dataclass
class BatchResult:
    table: Table
    matched: int
    unmatched: list[tuple[int, str]] = field(default_factory=list)  # (row number, reason)
    blank: int = 0  # blank rows, kept in place and counted as neither


@dataclass
class _Found:
    """An address's answer: a point, the compound and building, certain or not."""

    lon: float | None  # None: a compound's answer without its point (never certain)
    lat: float | None
    xiaoqu: str
    building: str
    certain: bool


@dataclass
class _Row:
    """What one row gets: its point (the grid columns are that point's), or none."""

    by: str = ""
    point: tuple[float, float] | None = None
    xiaoqu: str = ""
    building: str = ""
    candidate: str = ""
    distance: str = ""
    note: str = ""
    matched: bool = False
    grid_blank: bool = False  # a point known, not certain: its grid is left for review
    cells: list[str] | None = None  # the grid columns, when not those of `point`


def _column(header: list[str], names: tuple[str, ...]) -> int | None:
    lowered = [h.lower() for h in header]
    return next((lowered.index(n) for n in names if n in lowered), None)


def batch_lookup(
    *, table: Table, crs: str, progress: Callable[[int], None] | None = None
) -> BatchResult:
    """Add ADDED_COLUMNS to every row (blank rows too: output row i is input row i), each row by
    what it has. `crs` is the coordinates' system (wgs84, gcj02, bd09); `progress(n)` after n
    rows."""
    lon_i, lat_i = _column(table.header, LON_COLUMNS), _column(table.header, LAT_COLUMNS)
    addr_i = _column(table.header, ADDRESS_COLUMNS)
    has_points = lon_i is not None and lat_i is not None
    if not has_points and addr_i is None:
        raise BadRequest(
            "no address column (地址 or address) and no coordinate columns (经度/纬度 or lon/lat); "
            f"the columns are: {', '.join(table.header) or '(none)'}"
        )
    n = len(table.rows)
    blank = [not any(c.strip() for c in row) for row in table.rows]
    points = _points(table, lon_i, lat_i, crs) if has_points else [None] * n
    texts = [row[addr_i].strip() if addr_i is not None else "" for row in table.rows]
    found = _addresses(texts, blank, progress)
    rows = [
        _row(
            points[i],
            found[i],
            texts[i],
            blank[i],
            has_points=has_points,
            has_address=addr_i is not None,
        )
        for i in range(n)
    ]
    located = [i for i, r in enumerate(rows) if r.point is not None]
    cols = point_columns(
        lons=np.array([rows[i].point[0] for i in located]),
        lats=np.array([rows[i].point[1] for i in located]),
    )
    _disagreements(rows, points, located, cols)
    result = _written(table, rows, blank, located, cols)
    if progress is not None:
        progress(n)
    return result


def _number(text: str) -> float:
    try:
        return float(text.strip())
    except ValueError:
        return math.nan


def _points(table: Table, lon_i: int, lat_i: int, crs: str) -> list:
    """Per row: its WGS84 point; None without coordinates; "" for coordinates not in degrees;
    a reason for points refused as the single lookup refuses them ((0, 0), outside China)."""
    raw_lon = [r[lon_i].strip() for r in table.rows]
    raw_lat = [r[lat_i].strip() for r in table.rows]
    lons = np.array([_number(t) for t in raw_lon])
    lats = np.array([_number(t) for t in raw_lat])
    bad = ~lonlat_valid(lons, lats)
    # (0, 0) is a GPS with no fix; outside China, swapped or foreign coordinates: a grid far
    # away would be written as the answer (geo.domain.lonlat_check refuses them the same way).
    with np.errstate(invalid="ignore"):
        no_fix = ~bad & (lons == 0) & (lats == 0)
        abroad = ~bad & ~no_fix & ~lonlat_in_china(lons, lats)
    bad |= no_fix | abroad
    good = np.flatnonzero(~bad)
    wgs_lon, wgs_lat = to_wgs84_many(lons[good], lats[good], crs=crs)
    out: list = [None if not (a or b) else "" for a, b in zip(raw_lon, raw_lat, strict=True)]
    for k, i in enumerate(good):
        out[int(i)] = (float(wgs_lon[k]), float(wgs_lat[k]))
    for i in np.flatnonzero(no_fix):
        out[int(i)] = _("lon=0, lat=0: a GPS with no fix")
    for i in np.flatnonzero(abroad):
        out[int(i)] = _("not in China: lon and lat swapped, or another coordinate system?")
    return out


def _addresses(texts: list[str], blank: list[bool], progress) -> list:
    """Per row: a _Found, None (no such address), a BadRequest message (not an address), or
    "" (no address). Plain forms in one statement (address_batch), the rest one by one; a large
    sheet on several connections at once (lookup_batch_parallel)."""
    out: list = [""] * len(texts)
    asked = [i for i, t in enumerate(texts) if t and not blank[i]]
    threads = threads_for(len(asked))
    parts = by_name(texts, asked, threads)
    answered = parallel_map(
        lambda part: address_answers([texts[i] for i in part]), parts, threads=threads
    )
    for part, answers in zip(parts, answered, strict=True):
        for i, fast in zip(part, answers, strict=True):
            if fast is not None:
                out[i] = _Found(
                    fast.lon,
                    fast.lat,
                    fast.xiaoqu_name or "",
                    fast.building_name or "",
                    fast.certain,
                )
    slow = [i for i in asked if out[i] == ""]
    done = len(texts) - len(slow)
    if progress is not None:
        progress(done)
    batches = chunks(slow, PROGRESS_EVERY)
    for k, (batch, answers) in enumerate(
        zip(
            batches,
            parallel_map(_one_by_one_part(texts), batches, threads=threads_for(len(slow))),
            strict=True,
        )
    ):
        for i, answer in zip(batch, answers, strict=True):
            out[i] = answer
        if progress is not None:
            progress(done + min(len(slow), (k + 1) * PROGRESS_EVERY))
    return out


def _one_by_one_part(texts: list[str]):
    def look_up(part: list[int]) -> list:
        return [_one_by_one(texts[i]) for i in part]

    return look_up


def _one_by_one(text: str):
    """address_candidates' answer for one row: a _Found, None, or its BadRequest message."""
    try:
        result = address_candidates(q=text, limit=2)
    except BadRequest as exc:
        return exc.message
    top = result.candidates[0] if result.candidates else None
    return top and _Found(
        top.lon, top.lat, top.xiaoqu_name or "", top.building_name or "", result.certain
    )


def _place(f: _Found) -> str:
    return f"{f.xiaoqu}{f.building}" or "?"


def _row(point, found, text: str, blank: bool, *, has_points: bool, has_address: bool) -> _Row:
    """How one row is matched, from its point (a tuple, "" for coordinates not in degrees, None
    for none) and its address's answer (see _addresses)."""
    if blank:
        return _Row(note=_("blank row"))
    no_address = _why_no_address(found, text)
    found = found if isinstance(found, _Found) else None
    if isinstance(point, tuple):
        return _by_point(point, found, no_address)
    no_point = _why_no_point(point, has_points=has_points, has_address=has_address)
    if found is not None:
        return _by_address(found, no_point)
    if no_point or no_address:
        return _Row(note=no_point or no_address)
    if has_address and not has_points:
        return _Row(note=_("empty address"))
    return _Row(note=_("no coordinates and no address"))


def _why_no_address(found, text: str) -> str:
    """Why the row's address gives no answer ("" when it does, or when it has none)."""
    if text and found is None:
        return _("address not found")
    return found if isinstance(found, str) else ""


def _why_no_point(point, *, has_points: bool, has_address: bool) -> str:
    """Why the row's coordinates give no point ("" when they do, or when it has none)."""
    if point == "" or (point is None and has_points and not has_address):
        return _("lon/lat are not coordinates in degrees")
    return point if isinstance(point, str) else ""


def _by_address(found: _Found, no_point: str) -> _Row:
    if found.certain:
        row = _Row(BY_ADDRESS, (found.lon, found.lat), found.xiaoqu, found.building, matched=True)
        if no_point:
            row.note = _("%(why)s: matched by the address") % {"why": no_point}
        return row
    return _Row(
        BY_ADDRESS,
        None if found.lon is None else (found.lon, found.lat),
        candidate=_place(found),
        note=_("uncertain: check it"),
        grid_blank=True,
    )


def _by_point(point: tuple[float, float], found: _Found | None, no_address: str) -> _Row:
    if found is not None and found.certain:
        # The address's point until compared with the typed one (_disagreements).
        return _Row(BY_BOTH, (found.lon, found.lat), found.xiaoqu, found.building, matched=True)
    row = _Row(BY_POINT, point, matched=True)
    if found is not None:  # an address the search is unsure of: the point decides
        row.candidate = _place(found)
        row.note = _("the address is not certain: matched by the coordinates")
    elif no_address:
        row.note = _("%(why)s: matched by the coordinates") % {"why": no_address}
    return row


def _disagreements(rows: list[_Row], points: list, located: list[int], cols) -> None:
    """Rows with both a point and a certain address (their point is the address's until here):
    where the typed point gives another grid or lies farther than GRIDATLAS_BATCH_DISAGREE_M
    away, the row is flagged with both grids and the distance, and its grid left blank; where
    they agree, the grid columns are the typed point's."""
    both = [k for k, i in enumerate(located) if rows[i].by == BY_BOTH]
    if not both:
        return
    typed = [points[located[k]] for k in both]
    at_point = point_columns(
        lons=np.array([p[0] for p in typed]), lats=np.array([p[1] for p in typed])
    )
    limit = settings.GRIDATLAS_BATCH_DISAGREE_M
    for j, k in enumerate(both):
        row = rows[located[k]]
        (lon, lat), (a_lon, a_lat) = typed[j], row.point
        metres = GEOD.inv(lon, lat, a_lon, a_lat)[2]
        row.distance = f"{metres:.0f}"
        grid_point, grid_address = at_point.grid_code[j], cols.grid_code[k]
        if grid_point == grid_address and metres <= limit:
            row.cells = _grid_cells(at_point, j)
            continue
        row.matched, row.grid_blank = False, True
        row.candidate = f"{row.xiaoqu}{row.building}"
        row.xiaoqu = row.building = ""
        row.note = _(
            "the coordinates and the address disagree: the coordinates are in grid %(point)s, "
            "the address in grid %(address)s, %(m)s m apart"
        ) % {
            "point": grid_point or _("none"),
            "address": grid_address or _("none"),
            "m": row.distance,
        }


def _written(table: Table, rows: list[_Row], blank, located, cols) -> BatchResult:
    out = Table(table.fmt, [*table.header, *ADDED_COLUMNS], [], table.encoding)
    unmatched: list[tuple[int, str]] = []
    position = {i: k for k, i in enumerate(located)}
    empty = [""] * len(GRID_COLUMNS)
    for i, (source, row) in enumerate(zip(table.rows, rows, strict=True)):
        k = position.get(i)
        if row.matched and not cols.grid_code[k]:
            row.matched, row.note = False, _("in no grid")
        if row.grid_blank or k is None:
            cells = empty
        else:
            cells = row.cells or _grid_cells(cols, k)
        note = row.note or _("matched")
        out.rows.append(
            [*source, *cells, row.xiaoqu, row.building, row.by, row.distance, row.candidate, note]
        )
        if not row.matched and not blank[i]:
            unmatched.append((Table.row_number(i), note))
    if table.fmt == "xlsx":  # the complete list on a sheet of its own
        header = [UNMATCHED_ROW_HEADER, *table.header, "候选", "匹配结果"]
        out.unmatched_sheet = [header] + [
            [n, *table.rows[n - 2], rows[n - 2].candidate, why] for n, why in unmatched
        ]
    matched = sum(r.matched for r in rows)
    return BatchResult(out, matched, unmatched, blank=sum(blank))


def _grid_cells(cols, k: int) -> list[str]:
    """The grid columns of point k of a PointColumns."""
    distance = cols.station_distance_m[k]
    return [
        cols.street_name[k],
        cols.community_name[k],
        cols.grid_code[k],
        cols.grid_name[k],
        cols.microgrid_code[k],
        cols.microgrid_name[k],
        cols.station_name[k],
        "" if math.isnan(distance) else f"{distance:.0f}",
    ]
