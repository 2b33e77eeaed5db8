"""Address search for the field workers' lookup: free text → ranked buildings or compounds.

    >>> r = address_candidates(q="湖晴小区三栋", limit=5)  # doctest: +SKIP
    >>> r.certain, r.candidates[0].level, r.candidates[0].building_name  # doctest: +SKIP
    (True, 'building', '3栋')

How: `address_parse` cuts the text into parts; one SQL statement (sql/address_search.sql)
gathers candidates — compounds nearest in name or alias (trigram distance, so one wrong
character still finds them), compounds and buildings at the typed road and door — resolves the
typed building inside each compound (the compound itself when it has none), and returns the raw
similarities. `candidate_score` (pure) weighs them into a score in [0, 1].

The result types are the API of `/api/lookup?q=`: keep their fields stable.
"""

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection

from geo.errors import BadRequest
from geo.sql import sql_text
from layers.address_parse import ParsedAddress, address_parse, address_place

SQL_DIR = Path(__file__).resolve().parent / "sql"

# Defaults of the settings read at call time (geo/settings.py may override each one).
DEFAULTS = {
    "GRIDATLAS_ADDRESS_QUERY_MAX_CHARS": 100,  # longer is not an address
    "GRIDATLAS_ADDRESS_MAX_CANDIDATES": 20,  # most candidates one query may ask for
    "GRIDATLAS_ADDRESS_MIN_SCORE": 0.3,  # below this a candidate is noise, not a guess
    "GRIDATLAS_ADDRESS_CERTAIN_SCORE": 0.7,  # a certain winner scores at least this…
    "GRIDATLAS_ADDRESS_CERTAIN_MARGIN": 0.2,  # …and this much more than the runner-up
}
NEAREST_NAMES = 20  # compounds taken by name, and as many by alias, before scoring
PLACE_MAX_ADDRESSES = 300  # addresses one road (and door) contributes: a big compound's buildings

# How much each typed part counts; parts the query did not give are left out of the sum.
WEIGHT_NAME, WEIGHT_PLACE, WEIGHT_BUILDING = 0.5, 0.25, 0.25
# A phase the data does not have: 一期 is often the unnamed first compound (福恒花园), other
# phases are usually compounds of their own, so their base name is a weaker match.
CORE_NAME_FACTOR = {"一期": 0.95}
CORE_NAME_FACTOR_OTHER = 0.75
# A unit, floor or room the building does not have: a hint, weaker than a name (people
# miscount units, registers miss floors).
IMPLAUSIBLE_FACTOR = 0.97
OTHER_DISTRICT_FACTOR = 0.85  # the typed district is not the candidate's


@dataclass(frozen=True)
class AddressCandidate:
    """One place a query may mean. Points are EPSG:4326 degrees (lon, lat)."""

    level: str  # "building", or "xiaoqu" when the typed building was not found (or not typed)
    building_id: int | None
    building_code: str | None
    building_name: str | None
    xiaoqu_id: int | None  # None: a building outside compounds (丽新街12号楼)
    xiaoqu_code: str | None
    xiaoqu_name: str | None
    address: str  # the building's address; a compound's address without a building
    lon: float  # the building's address point, or the compound's point on surface
    lat: float
    score: float  # 0 to 1; 1 = every typed part matched exactly


@dataclass(frozen=True)
class AddressResult:
    """Candidates best first; `certain` when the first is a clear winner."""

    query: str
    parsed: ParsedAddress
    candidates: tuple[AddressCandidate, ...]
    certain: bool


def _setting(name: str):
    return getattr(settings, name, DEFAULTS[name])


def address_candidates(*, q: str, limit: int = 5) -> AddressResult:
    """The buildings (or compounds) an address query may mean, best first.

    Raises BadRequest for a query that cannot be an address: empty, longer than
    GRIDATLAS_ADDRESS_QUERY_MAX_CHARS, with nothing but punctuation or symbols, or naming only a
    building or room. Anything else returns a result, with no candidates if nothing fits.
    """
    parsed = _query_parse(q)
    limit = max(1, min(int(limit), _setting("GRIDATLAS_ADDRESS_MAX_CANDIDATES")))
    with connection.cursor() as cur:
        cur.execute(sql_text(SQL_DIR / "address_search.sql"), _sql_params(parsed))
        names = [c.name for c in cur.description]
        rows = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    ranked = _ranked([_candidate(row, parsed) for row in rows])
    return AddressResult(
        query=q, parsed=parsed, candidates=ranked[:limit], certain=_certain(ranked[:2])
    )


def _ranked(candidates: list[AddressCandidate]) -> tuple[AddressCandidate, ...]:
    """Best score first (buildings before compounds, then by code: a stable order), each place
    once (a building found by its text and by its compound keeps its better score), none below
    GRIDATLAS_ADDRESS_MIN_SCORE."""
    best: dict[tuple, AddressCandidate] = {}
    for c in candidates:
        key = (c.level, c.building_id, c.xiaoqu_id)
        if key not in best or best[key].score < c.score:
            best[key] = c
    min_score = _setting("GRIDATLAS_ADDRESS_MIN_SCORE")
    return tuple(
        sorted(
            (c for c in best.values() if c.score >= min_score),
            key=lambda c: (-c.score, c.level != "building", c.building_code or c.xiaoqu_code),
        )
    )


def _query_parse(q: str) -> ParsedAddress:
    q = (q or "").strip()
    if not q:
        raise BadRequest("the address is empty: type e.g. 湖晴小区3栋 or 丽新街8号")
    max_chars = _setting("GRIDATLAS_ADDRESS_QUERY_MAX_CHARS")
    if len(q) > max_chars:
        raise BadRequest(f"the address is {len(q)} characters long; at most {max_chars}")
    parsed = address_parse(q)
    if parsed.is_empty:
        raise BadRequest(
            "the address has no Chinese characters, letters or digits to search for: "
            "type e.g. 湖晴小区3栋 or 丽新街8号"
        )
    if not (parsed.compound_full or parsed.road):
        raise BadRequest(
            f"“{q}” names a building or room but no compound or road: add it, e.g. 湖晴小区3栋"
        )
    return parsed


def _like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _sql_params(p: ParsedAddress) -> dict:
    road = _like_escaped(p.road) if p.road else None
    door = f"{p.door}号" if p.door is not None else ""
    return {
        "text": p.normalized,
        # Shorter text gives the trigram index nothing to look up (a scan of every address).
        "text_like": f"%{_like_escaped(p.normalized)}" if len(p.normalized) >= 3 else None,
        "compound": p.compound_full,
        "compound_core": p.compound if p.phase and p.compound else None,
        "place": f"%{road}{door}%" if road else None,
        # The door after the road's last character (路, 街, 期): 时常路38号 finds 时长路38号.
        "door_like": f"%{road[-1]}{door}%" if road and door else None,
        "road": p.road,
        "building": p.building,
        "knn": NEAREST_NAMES,
        "place_max": PLACE_MAX_ADDRESSES,
    }


def _candidate(row: dict, parsed: ParsedAddress) -> AddressCandidate:
    address = row["address"] or ""
    if row["level"] == "xiaoqu" and row["address_building_name"]:
        # A compound's address is its first building's, without that building.
        address = address.removesuffix(row["address_building_name"])
    return AddressCandidate(
        level=row["level"],
        building_id=row["building_id"],
        building_code=row["building_code"],
        building_name=row["building_name"],
        xiaoqu_id=row["xiaoqu_id"],
        xiaoqu_code=row["xiaoqu_code"],
        xiaoqu_name=row["xiaoqu_name"],
        address=address,
        lon=round(row["lon"], 7),
        lat=round(row["lat"], 7),
        score=round(candidate_score(row, parsed), 4),
    )


def candidate_score(row: dict, parsed: ParsedAddress) -> float:
    """How well one candidate row fits the parsed query, 0 to 1 (pure).

    The typed parts each score 0 to 1 — name (compound or alias), place (road and door),
    building number — and are averaged with their weights; parts not typed do not count.
    An implausible unit, floor or room, or another district, lowers the result.
    """
    if row["exact"]:  # the query is a stored address as written: no parsing needed
        return _district_factor(row, parsed)
    if row["level"] == "xiaoqu" and row["text_is_name"]:  # a compound's name (or alias) as is
        return row["text_is_name"] * _district_factor(row, parsed)
    parts = []
    if parsed.compound_full:
        parts.append((WEIGHT_NAME, _name_score(row, parsed)))
    if parsed.road:
        parts.append((WEIGHT_PLACE, _place_score(row["address"] or "", parsed)))
    if parsed.building:
        # Building rows in a compound are there because their number matched the typed one.
        matched = row["level"] == "building" and row["xiaoqu_id"] is not None
        parts.append((WEIGHT_BUILDING, 1.0 if matched else 0.0))
    if not parts:
        return 0.0
    score = sum(w * s for w, s in parts) / sum(w for w, _ in parts)
    if not _plausible(row, parsed):
        score *= IMPLAUSIBLE_FACTOR
    return max(0.0, min(1.0, score * _district_factor(row, parsed)))


def _district_factor(row: dict, parsed: ParsedAddress) -> float:
    if parsed.district and row["address"] and not row["address"].startswith(parsed.district):
        return OTHER_DISTRICT_FACTOR
    return 1.0


def _similarity(sims: list | None) -> float:
    """One name similarity from [trigram similarity, typed-in-name, name-in-typed]: a name typed
    short (湖晴 for 湖晴小区) or inside extra words still counts, a little less."""
    if not sims or sims[0] is None:
        return 0.0
    sim, typed_in_name, name_in_typed = sims
    return max(sim, 0.9 * typed_in_name, 0.8 * name_in_typed)


def _name_score(row: dict, parsed: ParsedAddress) -> float:
    full = _similarity(row["full_sims"])
    core = _similarity(row["core_sims"])
    factor = CORE_NAME_FACTOR.get(parsed.phase or "", CORE_NAME_FACTOR_OTHER)
    return max(full, factor * core)


def _place_score(address: str, parsed: ParsedAddress) -> float:
    road, door = address_place(address)
    if parsed.road in address:
        # Also a "road" the parser cut from a name typed without its door number: 武汉铁路 in
        # 武汉铁路局宿舍 is no road, but the text is still where the candidate's is.
        road_score = 1.0
    elif road is None:
        return 0.0
    else:
        road_score = _shared_characters(road, parsed.road)
    if parsed.door is None:
        return road_score
    return 0.5 * road_score + 0.5 * (door == parsed.door)


def _shared_characters(a: str, b: str) -> float:
    """Dice overlap of characters: a mistyped character in 时长路 leaves 2 of 3 (0.67), where
    trigrams of a three-character word keep none."""
    common = sum((Counter(a) & Counter(b)).values())
    return 2 * common / (len(a) + len(b)) if a and b else 0.0


def _plausible(row: dict, parsed: ParsedAddress) -> bool:
    """The typed unit, floor and room fit the building (a room's floor is its hundreds)."""
    if row["level"] != "building":
        return True
    units, floors = row["units"] or 0, row["floors"] or 0
    floor = parsed.floor
    if floor is None and parsed.room and parsed.room.isdigit() and len(parsed.room) >= 3:
        floor = int(parsed.room) // 100
    if parsed.unit is not None and units and parsed.unit > units:
        return False
    return not (floor is not None and floors and floor > floors)


def _certain(top_two: tuple[AddressCandidate, ...]) -> bool:
    """One clear winner: high enough, and well ahead of the runner-up."""
    if not top_two:
        return False
    first = top_two[0].score
    second = top_two[1].score if len(top_two) > 1 else 0.0
    high_enough = first >= _setting("GRIDATLAS_ADDRESS_CERTAIN_SCORE")
    return high_enough and first - second >= _setting("GRIDATLAS_ADDRESS_CERTAIN_MARGIN")
