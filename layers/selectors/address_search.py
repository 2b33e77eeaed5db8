"""Address search for the field workers' lookup: free text → ranked buildings or compounds.

    >>> r = address_candidates(q="湖晴小区三栋", limit=5)  # doctest: +SKIP
    >>> r.certain, r.candidates[0].level, r.candidates[0].building_name  # doctest: +SKIP
    (True, 'building', '3栋')

How: `address_parse` cuts the text into parts; one SQL statement (sql/address_search.sql)
gathers candidates — compounds nearest in name or alias (trigram distance, so one wrong
character still finds them), compounds and buildings at the typed road and door — resolves the
typed building inside each compound (the compound itself when it has none), and returns the raw
similarities. `candidate_score` (pure) weighs them into a score in [0, 1].

Never certain and wrong (docs/design.md): `certain` only when the text pins one building, or one
compound lying in one grid, and nothing in the text contradicts it — a district, street office or
community that is not the match's, a road or door that is not its address, an old number that is
still another building of the compound, a range. Divisions named in the text filter the
candidates; a compound over several grids lists them with their households. Every reason for
doubt is said in `notes`. A query naming only a division answers that division.

The result types are the API of `/api/lookup?q=`: keep their fields stable.
"""

import functools
import itertools
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

from django.conf import settings
from django.db import connection
from pypinyin import Style, pinyin

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
    district_name: str | None = None  # the divisions it lies in
    street_name: str | None = None
    community_name: str | None = None
    # A compound (level "xiaoqu"): its households per grid, most first, with their share
    # [{code, name, households, share}]; more than one grid: the compound pins no grid.
    grids: tuple[dict, ...] = ()


@dataclass(frozen=True)
class AddressResult:
    """Candidates best first; `certain` when the text pins the first and nothing contradicts
    it; `notes` say why not, or what was read past (a bracketed note, an old number)."""

    query: str
    parsed: ParsedAddress
    candidates: tuple[AddressCandidate, ...]
    certain: bool
    notes: tuple[str, ...] = ()
    # A query naming only a division: the divisions of that name, most specific first
    # [{level, code, name, parent_name, extent: [xmin, ymin, xmax, ymax], lon, lat}] (EPSG:4326).
    divisions: tuple[dict, ...] = field(default=())


def _setting(name: str):
    return getattr(settings, name, DEFAULTS[name])


def address_candidates(*, q: str, limit: int = 5) -> AddressResult:
    """The buildings (or compounds) an address query may mean, best first.

    Raises BadRequest for a query that cannot be an address: empty, longer than
    GRIDATLAS_ADDRESS_QUERY_MAX_CHARS, with nothing but punctuation or symbols, or naming only a
    building or room. Anything else returns a result, with no candidates if nothing fits.
    """
    parsed = _query_parse(q)
    if parsed.names_division_only:
        return _division_result(q, parsed)
    limit = max(1, min(int(limit), _setting("GRIDATLAS_ADDRESS_MAX_CANDIDATES")))
    parsed, read_as = _initials_read(parsed)
    rows = _rows("address_search.sql", _sql_params(parsed))
    ranked = _ranked([_candidate(row, parsed) for row in rows])
    ranked = _with_context(ranked, {_key(r): r["community_id"] for r in rows}, shown=2 * limit)
    ranked, conflicts = _division_filtered(ranked, parsed)
    certain, notes = _certainty(ranked, parsed, conflicts=conflicts)
    if read_as:  # initials name several compounds as often as one: a guess, never certain
        certain, notes = False, [read_as, *notes]
    return AddressResult(
        query=q, parsed=parsed, candidates=ranked[:limit], certain=certain, notes=tuple(notes)
    )


def _rows(sql_file: str, params: dict) -> list[dict]:
    with connection.cursor() as cur:
        cur.execute(sql_text(SQL_DIR / sql_file), params)
        names = [c.name for c in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _division_result(q: str, parsed: ParsedAddress) -> AddressResult:
    """江岸区, 后湖街道, 花桥社区: the division itself (its extent), certain of no grid."""
    names = [n for n in (parsed.district, *parsed.divisions) if n]
    found = tuple(
        {
            "level": r["level"],
            "code": r["code"],
            "name": r["name"],
            "parent_name": r["parent_name"],
            "extent": [round(r[k], 7) for k in ("xmin", "ymin", "xmax", "ymax")],
            "lon": round(r["lon"], 7),
            "lat": round(r["lat"], 7),
        }
        for r in _rows("division_named.sql", {"names": names})
    )
    if found:
        note = (
            f"“{q}” names a {found[0]['level']}, not an address: add a compound and building "
            "(e.g. 湖晴小区3栋) to find a grid"
        )
    else:
        note = f"no district, street or community called {'、'.join(names)} is on the map"
    return AddressResult(
        query=q, parsed=parsed, candidates=(), certain=False, notes=(note,), divisions=found
    )


# --- pinyin initials ----------------------------------------------------------------------------
_INITIALS = re.compile(r"[A-Z]{2,10}")


@functools.lru_cache(maxsize=65536)
def name_initials(name: str) -> tuple[frozenset[str], ...]:
    """The possible first letters of each character's pinyin (长: C or Z), upper case."""
    return tuple(
        frozenset(r[0].upper() for r in readings if r)
        for readings in pinyin(name, style=Style.FIRST_LETTER, heteronym=True)
    )


def _initials_fit(typed: str, name: str) -> int:
    """2: the initials of the whole name (ZQXQ: 紫晴小区); 1: of its start (ZQ); 0: neither."""
    letters = name_initials(name)
    if len(typed) > len(letters):
        return 0
    if not all(ch in opts for ch, opts in zip(typed, letters, strict=False)):
        return 0
    return 2 if len(typed) == len(letters) else 1


def _initials_read(parsed: ParsedAddress) -> tuple[ParsedAddress, str | None]:
    """A compound typed as pinyin initials (zqxq3栋) read as the compound whose name (or alias)
    they spell, whole names before starts, then by name; and the note that says so."""
    typed = parsed.compound_full
    if not typed or not _INITIALS.fullmatch(typed):
        return parsed, None
    with connection.cursor() as cur:
        cur.execute("SELECT name FROM layers_xiaoqu UNION SELECT alias FROM layers_compoundalias")
        names = [r[0] for r in cur.fetchall()]
    fits = sorted((-_initials_fit(typed, n), n) for n in names)
    found = [n for fit, n in itertools.takewhile(lambda f: f[0] < 0, fits)]
    if not found:
        return parsed, None
    name = found[0]
    normalized = parsed.normalized.replace(typed, name, 1)
    read = replace(parsed, compound=name, phase=None, normalized=normalized)
    others = f" (also {'、'.join(found[1:4])})" if len(found) > 1 else ""
    return read, f"read {typed} as the pinyin initials of {name}{others}: check it"


def _key(c) -> tuple:
    """One place: a row (dict) or a candidate."""
    if isinstance(c, dict):
        return (c["level"], c["building_id"], c["xiaoqu_id"])
    return (c.level, c.building_id, c.xiaoqu_id)


def _with_context(
    ranked: tuple[AddressCandidate, ...], community_of: dict[tuple, int], *, shown: int
) -> tuple[AddressCandidate, ...]:
    """The candidates with their divisions, and the compounds among the first `shown` with
    their grids: a second, small statement over the few kept (joined into the search itself,
    it made every query pay for every compound it looked at)."""
    if not ranked:
        return ranked
    compounds = [c.xiaoqu_id for c in ranked[:shown] if c.level == "xiaoqu"]
    params = {"communities": sorted(set(community_of.values())), "compounds": compounds}
    context = {(r["kind"], r["id"]): r for r in _rows("address_context.sql", params)}
    out = []
    for c in ranked:
        names = context.get(("community", community_of.get(_key(c))), {})
        grids = (
            context.get(("xiaoqu", c.xiaoqu_id), {}).get("grids") if c.level == "xiaoqu" else None
        )
        out.append(
            replace(
                c,
                district_name=names.get("district_name"),
                street_name=names.get("street_name"),
                community_name=names.get("community_name"),
                grids=_grid_shares(grids),
            )
        )
    return tuple(out)


def _ranked(candidates: list[AddressCandidate]) -> tuple[AddressCandidate, ...]:
    """Best score first (buildings before compounds, then by code: a stable order), each place
    once (a building found by its text and by its compound keeps its better score), none below
    GRIDATLAS_ADDRESS_MIN_SCORE."""
    best: dict[tuple, AddressCandidate] = {}
    for c in candidates:
        key = _key(c)
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
    if parsed.names_division_only:
        return parsed
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
        "buildings": list(p.building_numbers),
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


def _grid_shares(grids: list | None) -> tuple[dict, ...]:
    if not grids:
        return ()
    total = sum(g["households"] for g in grids) or 1
    return tuple({**g, "share": round(g["households"] / total, 3)} for g in grids)


_BUILDING_NAME = re.compile(r"^([0-9A-Z]+)(?:栋|幢|座|号楼|号)$")


def building_number(name: str | None) -> str | None:
    """The number of a building named 3栋, 12A幢, 5号楼 (None for 时长路38号楼-style names)."""
    m = _BUILDING_NAME.match(name or "")
    return m.group(1) if m else None


def _building_score(row: dict, parsed: ParsedAddress) -> float:
    """1 for the typed building (or an end of a typed range); 0 for the old number of a
    renumbered one (9栋(原5栋) means 9: 5栋 is listed, as the register may not know yet)."""
    if row["level"] != "building" or row["xiaoqu_id"] is None:
        return 0.0
    number = building_number(row["building_name"])
    if number == parsed.building or number in (parsed.building_range or ()):
        return 1.0
    return 0.0


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
    if parsed.building_numbers:
        # Building rows in a compound are there because their number matched a typed one.
        parts.append((WEIGHT_BUILDING, _building_score(row, parsed)))
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


def _clear_winner(top_two: tuple[AddressCandidate, ...]) -> bool:
    """One clear winner: high enough, and well ahead of the runner-up."""
    if not top_two:
        return False
    first = top_two[0].score
    second = top_two[1].score if len(top_two) > 1 else 0.0
    high_enough = first >= _setting("GRIDATLAS_ADDRESS_CERTAIN_SCORE")
    return high_enough and first - second >= _setting("GRIDATLAS_ADDRESS_CERTAIN_MARGIN")


# --- certainty --------------------------------------------------------------------------------
_DIVISION_SUFFIX = re.compile(r"(?:街道|社区|村|镇|乡|街)$")


def _division_core(name: str) -> str:
    return _DIVISION_SUFFIX.sub("", name)


def _conflicts(c: AddressCandidate, parsed: ParsedAddress) -> list[str]:
    """The divisions named in the text that the candidate is not in."""
    out = []
    if parsed.district and c.district_name and parsed.district != c.district_name:
        out.append(parsed.district)
    for named in parsed.divisions:
        have = c.community_name if named.endswith(("社区", "村")) else c.street_name
        if have and _division_core(named) != _division_core(have):
            out.append(named)
    return out


def _division_filtered(
    ranked: tuple[AddressCandidate, ...], parsed: ParsedAddress
) -> tuple[tuple[AddressCandidate, ...], list[str]]:
    """Candidates in the divisions the text names; when none is, all of them, and what the
    text names that the best does not lie in (a contradiction: not certain)."""
    if not (parsed.district or parsed.divisions) or not ranked:
        return ranked, []
    agreeing = tuple(c for c in ranked if not _conflicts(c, parsed))
    if agreeing:
        return agreeing, []
    return ranked, _conflicts(ranked[0], parsed)


def _where(c: AddressCandidate) -> str:
    return " ".join(n for n in (c.district_name, c.street_name, c.community_name) if n)


def _place(c: AddressCandidate) -> str:
    return (c.xiaoqu_name or "") + (c.building_name or "")


def _certainty(
    ranked: tuple[AddressCandidate, ...], parsed: ParsedAddress, *, conflicts: list[str]
) -> tuple[bool, list[str]]:
    """Whether the text pins the first candidate and nothing in it contradicts it; and the
    notes that say why not, or what was read past."""
    notes = [f"left out the note in brackets: {n}" for n in parsed.notes]
    if parsed.old_building:
        notes.append(
            f"building {parsed.building} (formerly {parsed.old_building}): found by its current "
            "number"
        )
    if parsed.building_range:
        first, last = parsed.building_range
        notes.append(f"a range of buildings, {first} to {last}: both ends are listed, pick one")
    if not ranked:
        return False, notes
    top = ranked[0]
    certain = _clear_winner(ranked[:2]) and not parsed.building_range
    if conflicts:
        notes.append(
            f"the text names {'、'.join(conflicts)}, but {_place(top)} is in {_where(top)}: "
            "check which is right"
        )
        certain = False
    if top.level == "xiaoqu":
        if len(top.grids) > 1:
            shares = "; ".join(f"{g['name']} ({g['code']}) {g['share']:.0%}" for g in top.grids)
            notes.append(
                f"{top.xiaoqu_name} lies in {len(top.grids)} grids: {shares}; add the building "
                "to pin one"
            )
        if parsed.building_numbers:
            typed = "、".join(parsed.building_numbers)
            notes.append(f"{top.xiaoqu_name} has no building {typed} on the map: check the number")
        # A building typed but not found, or a compound over several grids, pins no grid.
        certain = certain and len(top.grids) == 1 and not parsed.building_numbers
    certain = certain and _place_agrees(top, parsed, notes) and _renumbering_clear(ranked, parsed)
    return certain, notes


def _place_agrees(top: AddressCandidate, parsed: ParsedAddress, notes: list[str]) -> bool:
    """A typed road (and door) is in the match's address, and a road with no compound named
    has its door: 恒润街 alone, or 恒润街 with a building, pins no building."""
    if not parsed.road:
        return True
    place = parsed.road + (f"{parsed.door}号" if parsed.door is not None else "")
    if place not in top.address:
        notes.append(f"{place} is not the address of {_place(top)} ({top.address})")
        return False
    return parsed.compound_full is not None or parsed.door is not None


def _renumbering_clear(ranked: tuple[AddressCandidate, ...], parsed: ParsedAddress) -> bool:
    """9栋(原5栋) where the compound still has a 5栋: the register may be on either number."""
    if not parsed.old_building:
        return True
    top = ranked[0]
    return building_number(top.building_name) == parsed.building and not any(
        c.xiaoqu_id == top.xiaoqu_id and building_number(c.building_name) == parsed.old_building
        for c in ranked
    )
