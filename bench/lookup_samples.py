"""The seeded inputs of bench/lookup.py, drawn from the `city` data in the bench database: GPS
points (in buildings, anywhere in grids, some sent as GCJ-02, a few outside every grid),
address queries in the spellings residents use, and a large batch of points.

Django must be set up (harness.bench_setup) before any of these is called.
"""

import random
import re
from dataclasses import dataclass
from urllib.parse import quote

import numpy as np

# Shares of the point sample; the rest are building points (points on surface).
GRID_SHARE = 0.30  # uniform random points inside a random grid
GCJ02_SHARE = 0.15  # of the inside points, sent in GCJ-02 (AMap, Tencent) with crs=gcj02
OUTSIDE_SHARE = 0.005  # "a few": in the city's bounding box, covered by no grid
OUTSIDE_BUILDINGS_SHARE = 0.05  # of the queries: buildings outside compounds (丽新街12号楼)
BATCH_JITTER_DEG = 0.00015  # GPS noise around an address point, about 15 m
BATCH_OUTSIDE_SHARE = 0.02


@dataclass(frozen=True)
class SamplePoint:
    kind: str  # building | grid | outside; "+gcj02" when sent in GCJ-02
    lon: float  # as sent, in `crs`
    lat: float
    crs: str
    wgs84_lon: float  # as the view computes it (converted back, rounded to 7 decimals)
    wgs84_lat: float

    @property
    def path(self) -> str:
        crs = "" if self.crs == "wgs84" else f"&crs={self.crs}"
        return f"/api/lookup?lon={self.lon:.7f}&lat={self.lat:.7f}{crs}"


@dataclass(frozen=True)
class SampleQuery:
    variant: str
    q: str
    expected_level: str  # building: the top candidate must be this building; xiaoqu: in it
    expected_code: str  # building code, or compound code

    @property
    def path(self) -> str:
        return "/api/lookup?q=" + quote(self.q)


def _rows(sql: str, params=None) -> list[tuple]:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def city_extent() -> tuple[float, float, float, float]:
    """(west, south, east, north) of the streets, EPSG:4326 degrees."""
    (box,) = _rows(
        "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)"
        " FROM (SELECT ST_Extent(geom) AS e FROM layers_street) s"
    )
    return box


def outside_points(rng: random.Random, n: int) -> list[tuple[float, float]]:
    """n points in the city's box widened by 5 %, covered by no grid."""
    w, s, e, nn = city_extent()
    dx, dy = (e - w) * 0.05, (nn - s) * 0.05
    out: list[tuple[float, float]] = []
    while len(out) < n:
        lons = [rng.uniform(w - dx, e + dx) for _ in range(4 * n + 10)]
        lats = [rng.uniform(s - dy, nn + dy) for _ in range(4 * n + 10)]
        rows = _rows(
            """SELECT p.lon, p.lat FROM unnest(%s::float8[], %s::float8[]) WITH ORDINALITY
                                        AS p(lon, lat, i)
                WHERE NOT EXISTS (SELECT 1 FROM layers_grid g WHERE ST_Covers(
                                    g.geom, ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326)))
                ORDER BY p.i""",
            [lons, lats],
        )
        out += rows[: n - len(out)]
    return out


def point_sample(*, seed: int, n: int) -> list[SamplePoint]:
    """n seeded points: building points on surface, random points in grids, some of both sent
    in GCJ-02, and OUTSIDE_SHARE outside every grid; shuffled."""
    from geo.chinese_crs import gcj02_from_wgs84, to_wgs84

    rng = random.Random(seed)
    n_out = max(1, round(n * OUTSIDE_SHARE)) if n >= 20 else 0
    n_grid = round(n * GRID_SHARE)
    n_building = n - n_out - n_grid
    ids = [r[0] for r in _rows("SELECT id FROM layers_building ORDER BY id")]
    picked = sorted(rng.sample(ids, n_building))
    inside = [
        ("building", lon, lat)
        for lon, lat in _rows(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT id, ST_PointOnSurface(geom) AS p"
            " FROM layers_building WHERE id = ANY(%s)) b ORDER BY id",
            [picked],
        )
    ]
    # Grids without a polygon yet (no parcels) have nothing to sample: drawn a few spare.
    grid_ids = [r[0] for r in _rows("SELECT id FROM layers_grid ORDER BY id")]
    grid_ids = sorted(rng.sample(grid_ids, min(len(grid_ids), n_grid + 50)))
    in_grids = _rows(
        # ST_GeneratePoints with a seed: the same point every run.
        "SELECT ST_X(p), ST_Y(p) FROM (SELECT id, ST_GeometryN(ST_GeneratePoints("
        "geom, 1, (%s + id)::int), 1) AS p FROM layers_grid WHERE id = ANY(%s)) g"
        " WHERE p IS NOT NULL ORDER BY id",
        [seed, grid_ids],
    )
    inside += [("grid", lon, lat) for lon, lat in rng.sample(in_grids, n_grid)]
    out = []
    for kind, lon, lat in inside:
        if rng.random() < GCJ02_SHARE:
            # A phone map's picker sends GCJ-02, to 7 decimals; the view converts it back.
            g_lon, g_lat = (round(v, 7) for v in gcj02_from_wgs84(lon, lat))
            w_lon, w_lat = to_wgs84(g_lon, g_lat, crs="gcj02")
            out.append(SamplePoint(kind + "+gcj02", g_lon, g_lat, "gcj02", *_r7(w_lon, w_lat)))
        else:
            lon, lat = _r7(lon, lat)
            out.append(SamplePoint(kind, lon, lat, "wgs84", lon, lat))
    out += [
        SamplePoint("outside", *_r7(lon, lat), "wgs84", *_r7(lon, lat))
        for lon, lat in outside_points(rng, n_out)
    ]
    rng.shuffle(out)
    return out


def _r7(lon: float, lat: float) -> tuple[float, float]:
    return round(lon, 7), round(lat, 7)


# --- address queries ----------------------------------------------------------------------------
STORED = re.compile(
    r"^(?P<district>[^区]+区)(?P<road>.+?(?:大道|大街|路|街|巷)(?:[一二三四五六七八九十]+期)?)"
    r"(?P<door>[0-9]+)号(?P<rest>.*)$"
)
FULL_WIDTH = str.maketrans("0123456789#-", "０１２３４５６７８９＃－")


def _compound_variants(b: dict, rng: random.Random, han: str) -> dict[str, tuple[str, str]]:
    """Variant name → (query, expected level) for a building in a compound."""
    import cn2an

    m = STORED.match(b["text"])
    compound, number = b["xiaoqu"], b["name"].removesuffix("栋")
    floors, units = b["floors"] or 6, b["units"] or 2
    room = f"{rng.randint(1, floors)}{rng.randint(1, 4):02d}"
    pos = rng.randrange(len(compound))
    typo_char = rng.choice(han)
    while typo_char == compound[pos]:
        typo_char = rng.choice(han)
    typo = compound[:pos] + typo_char + compound[pos + 1 :]
    v = {
        "as stored": (b["text"], "building"),
        "no district": (b["text"].removeprefix(m["district"]), "building"),
        "compound + building": (f"{compound}{number}栋", "building"),
        "compound only": (compound, "xiaoqu"),
        "road + door": (f"{m['road']}{m['door']}号", "xiaoqu"),
        "号楼 / # / 幢 for 栋": (
            f"{compound}{number}{rng.choice(['号楼', '#', '幢'])}",
            "building",
        ),
        "compact N-2-501": (f"{compound}{number}-{rng.randint(1, units)}-{room}", "building"),
        "one-character typo": (f"{typo}{number}栋", "building"),
        "full-width digits": (b["text"].translate(FULL_WIDTH), "building"),
    }
    if number.isdigit():
        v["Chinese numerals"] = (f"{compound}{cn2an.an2cn(number)}栋", "building")
    return v


def _outside_variants(b: dict, rng: random.Random) -> dict[str, tuple[str, str]]:
    """For a building outside compounds (its name is road, door and 号楼)."""
    m = STORED.match(b["text"])
    return {
        "as stored": (b["text"], "building"),
        "no district": (b["text"].removeprefix(m["district"]), "building"),
        "road + door": (f"{m['road']}{m['door']}号", "building"),
        "outside compounds, 号楼": (b["name"], "building"),
        "full-width digits": (b["text"].translate(FULL_WIDTH), "building"),
    }


def query_sample(*, seed: int, n: int) -> list[SampleQuery]:
    """n seeded queries, each from one stored address in one variant drawn at random among
    those that apply to its building."""
    rng = random.Random(seed)
    cols = ("id", "code", "name", "floors", "units", "xiaoqu", "xiaoqu_code", "text")
    rows = _rows(
        """SELECT b.id, b.code, b.name, b.floors, b.units, x.name, x.code, a.text
             FROM layers_building b
             JOIN layers_address a ON a.building_id = b.id
             LEFT JOIN layers_xiaoqu x ON x.id = b.xiaoqu_id
            ORDER BY b.id, a.id"""
    )
    by_id = {}
    for r in rows:
        by_id.setdefault(r[0], dict(zip(cols, r, strict=True)))  # the first address
    inside = [b for b in by_id.values() if b["xiaoqu"] and STORED.match(b["text"])]
    outside = [b for b in by_id.values() if not b["xiaoqu"] and STORED.match(b["text"])]
    # Characters for typos: those of compound names (a mistyped character is a plausible one).
    han = "".join(sorted({c for b in inside for c in b["xiaoqu"]}))
    out = []
    for _ in range(n):
        if outside and rng.random() < OUTSIDE_BUILDINGS_SHARE:
            b = rng.choice(outside)
            variants = _outside_variants(b, rng)
        else:
            b = rng.choice(inside)
            variants = _compound_variants(b, rng, han)
        name = rng.choice(sorted(variants))
        q, level = variants[name]
        expected = b["code"] if level == "building" else b["xiaoqu_code"]
        out.append(SampleQuery(name, q, level, expected))
    return out


def top_is_expected(query: SampleQuery, top: dict | None) -> bool:
    """The top candidate (a dict of AddressCandidate fields) is the place the query came from."""
    if top is None:
        return False
    if query.expected_level == "building":
        return top["level"] == "building" and top["building_code"] == query.expected_code
    return top["xiaoqu_code"] == query.expected_code


# --- the batch ----------------------------------------------------------------------------------
def batch_points(*, seed: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """n (lon, lat) in EPSG:4326: address points with about 15 m of GPS noise, and
    BATCH_OUTSIDE_SHARE uniform in the city's box (most of those in no grid)."""
    rng = np.random.default_rng(seed)
    pts = np.array(_rows("SELECT ST_X(geom), ST_Y(geom) FROM layers_address ORDER BY id"))
    n_out = int(n * BATCH_OUTSIDE_SHARE)
    pick = pts[rng.integers(0, len(pts), n - n_out)]
    pick += rng.normal(0, BATCH_JITTER_DEG, pick.shape)
    w, s, e, nn = city_extent()
    out = np.column_stack([rng.uniform(w, e, n_out), rng.uniform(s, nn, n_out)])
    allpts = np.concatenate([pick, out])
    allpts = allpts[rng.permutation(n)]
    return np.round(allpts[:, 0], 7), np.round(allpts[:, 1], 7)


def batch_csv(lons: np.ndarray, lats: np.ndarray) -> bytes:
    """A registry export as a field office would upload it: id, name, lon, lat (UTF-8)."""
    lines = ["编号,姓名,lon,lat"]
    lines += [
        f"{i + 1},居民{i + 1},{lo:.7f},{la:.7f}"
        for i, (lo, la) in enumerate(zip(lons, lats, strict=True))
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


# --- the address batch --------------------------------------------------------------------------
def address_rows(*, seed: int, n: int) -> list[str]:
    """n addresses of buildings in compounds in the plain forms a registry export holds
    (compound + building, with unit and room, 号楼/#/幢, Chinese numerals, N-2-501), drawn with
    replacement: the rows the batch lookup's one-statement path is for."""
    import cn2an

    rng = random.Random(seed)
    rows = _rows(
        """SELECT x.name, b.name, coalesce(b.units, 2), coalesce(b.floors, 6)
             FROM layers_building b JOIN layers_xiaoqu x ON x.id = b.xiaoqu_id
            WHERE b.name ~ '^[0-9]+栋$'
            ORDER BY b.id"""
    )
    out = []
    for _ in range(n):
        compound, name, units, floors = rng.choice(rows)
        number = name.removesuffix("栋")
        room = f"{rng.randint(1, floors)}{rng.randint(1, 4):02d}"
        unit = rng.randint(1, units)
        out.append(
            rng.choice(
                [
                    f"{compound}{number}栋",
                    f"{compound}{number}栋{unit}单元{room}",
                    f"{compound}{number}{rng.choice(['号楼', '#', '幢'])}",
                    f"{compound}{cn2an.an2cn(number)}栋",
                    f"{compound}{number}-{unit}-{room}",
                ]
            )
        )
    return out


def address_csv(addresses: list[str]) -> bytes:
    """The address batch as a field office would upload it: id, name, address (UTF-8)."""
    lines = ["编号,姓名,地址"] + [f"{i + 1},居民{i + 1},{a}" for i, a in enumerate(addresses)]
    return ("\n".join(lines) + "\n").encode("utf-8")
