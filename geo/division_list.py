"""The national division list (统计用区划代码, NBS 2023) and matching names to its codes (issue 15).

A city's own boundary files name streets and communities in Chinese and code them in a local
system; the official code is found here from the name, inside the county or street the caller
already knows. The rule: never certain and wrong. A name that several divisions share is
`ambiguous` and a name nothing matches is `unmatched`, both without a code; only a name that
designates exactly one division gets one.

The list is `fixtures/divisions/china_2023.csv.xz` (`code,name`, built by
scripts/divisions_build.py, credited in fixtures/divisions/README.md): province 2 digits, city 4,
county 6, town (乡镇/街道) 9, village (村/社区) 12; the parent is the code cut to the level above.
It is loaded once per process, on first use, and kept as its decompressed bytes (22 MB) plus an
index of the 45,000 divisions above the villages. The rows are in reading order of the tree, so a
town's villages are the lines between it and the next division above village level, decoded only
when asked for. The 2016 city lists in the same folder tell a retired code from an unknown one.
Pure Python, no database.
"""

import csv
import difflib
import functools
import lzma
import re
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path

DIVISIONS_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "divisions"
LIST_2023 = DIVISIONS_DIR / "china_2023.csv.xz"
# Its provinces, cities and counties alone (scripts/divisions_build.py writes both): naming a city
# (the profile, on every page) reads 62 KB, not the whole list (0.5 s, ~50 MB a process).
COUNTIES_2023 = DIVISIONS_DIR / "china_2023_counties.csv"
# Older lists (Vonng/adcode, NBS 2016): 12-digit codes with their level.
LISTS_2016 = ("wuhan_4201_2016.csv", "adcode_hangzhou_3301.csv", "adcode_shiyan_4203.csv")

LEVEL_DIGITS = {"province": 2, "city": 4, "county": 6, "town": 9, "village": 12}
LEVEL_OF_DIGITS = {digits: level for level, digits in LEVEL_DIGITS.items()}
PARENT_DIGITS = {4: 2, 6: 4, 9: 6, 12: 9}
# Suffix variants a name is written with, per level, longest first so 街道办事处 goes before 街道.
SUFFIXES = {
    "province": ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "省", "市"),
    "city": ("自治州", "地区", "市", "盟"),
    "county": ("自治县", "自治旗", "林区", "特区", "区", "县", "市", "旗"),
    "town": (
        "街道办事处",
        "镇人民政府",
        "乡人民政府",
        "街办事处",  # the 2016 lists' 大智街办事处
        "街道办",
        "街道",
        "街办",
        "镇",
        "乡",
    ),
    "village": (
        "社区居民委员会",
        "村民委员会",
        "居民委员会",
        "社区居委会",
        "村委会",
        "居委会",
        "社区",
        "村",
    ),
}
# What kind of division a suffix says it is: a street office, a town or a township; a
# residents' committee (社区) or a villagers' committee (村). Two divisions of one short name
# (马家沟社区居民委员会 and 马家沟村委会) are told apart by it.
SUFFIX_KINDS = {
    "town": {
        "street": ("街道办事处", "街办事处", "街道办", "街道", "街办"),
        "town": ("镇人民政府", "镇"),
        "township": ("乡人民政府", "乡"),
    },
    "village": {
        "residents": ("社区居民委员会", "居民委员会", "社区居委会", "居委会", "社区"),
        "villagers": ("村民委员会", "村委会", "村"),
    },
}
# A city-level entry that is no city: its counties belong to the province (a municipality) or
# stand directly under it (省直辖县级行政区划: the county-level city is its own city).
MUNICIPAL_CITY_NAMES = {"市辖区", "县"}
DIRECT_COUNTY_CITY_NAMES = {"省直辖县级行政区划", "自治区直辖县级行政区划"}
MAX_CANDIDATES = 3
SCORE_SAME_SHORT_NAME = 0.9  # the full name differs, the name without its suffix is the same
SCORE_SIMILAR = 0.8  # times the similarity of the short names (_similar)
SIMILAR_CUTOFF = 0.5  # below this similarity a name is not proposed at all


@dataclass(frozen=True)
class DivisionEntry:
    code: str  # 2, 4, 6, 9 or 12 digits
    name: str  # as in the list, e.g. "二堰铺社区居民委员会"
    level: str  # "province" | "city" | "county" | "town" | "village"

    @property
    def parent_code(self) -> str | None:
        digits = PARENT_DIGITS.get(len(self.code))
        return self.code[:digits] if digits else None

    @property
    def short_name(self) -> str:
        """The name without its suffix: 二堰铺社区居民委员会 → 二堰铺, 花桥街道 → 花桥."""
        return name_short(self.name, self.level)


@dataclass(frozen=True)
class NameMatch:
    name: str  # as asked
    status: str  # "exact" | "variant" | "ambiguous" | "unmatched"
    code: str | None  # only for exact/variant
    candidates: tuple[tuple[str, str, float], ...]  # (code, name, score 0..1), best first, ≤ 3


def name_normal(name: str) -> str:
    """Full-width → half-width (NFKC), every space gone: how two spellings compare."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name))


def name_short(name: str, level: str) -> str:
    """The normalised name without its longest suffix variant of the level (unchanged when
    that would leave nothing)."""
    normal = name_normal(name)
    for suffix in SUFFIXES.get(level, ()):
        if normal.endswith(suffix) and len(normal) > len(suffix):
            return normal[: -len(suffix)]
    return normal


def suffix_kind(name: str, level: str) -> tuple[str, str] | None:
    """(kind, the name before the suffix) for a name ending in a suffix of its level
    (马家沟社区 → ("residents", "马家沟")); None when it ends in none."""
    normal = name_normal(name)
    best = None
    for kind, suffixes in SUFFIX_KINDS.get(level, {}).items():
        for suffix in suffixes:
            if normal.endswith(suffix) and len(normal) > len(suffix):
                if best is None or len(suffix) > best[2]:
                    best = (kind, normal[: -len(suffix)], len(suffix))
    return best[:2] if best else None


def narrowed(name: str, level: str, found: list, name_of) -> tuple[object | None, str]:
    """Of several divisions that share `name`'s short name, the one `name` means: the one of that
    very full name ("exact"), else the one of the kind its suffix says ("variant": 柏林社区 is the
    residents' committee, not 柏林村委会); (None, "ambiguous") when neither picks one. `name_of`
    gives an item's full name (list entries here, stored features in layers.io.stored_codes)."""
    normal = name_normal(name)
    full = [f for f in found if name_normal(name_of(f)) == normal]
    if len(full) == 1:
        return full[0], "exact"
    kind = suffix_kind(name, level)
    of_kind = [f for f in found if kind and suffix_kind(name_of(f), level) == kind]
    if len(of_kind) == 1 and name_short(name_of(of_kind[0]), level) == kind[1]:
        return of_kind[0], "variant"
    return None, "ambiguous"


def _name_keys(name: str, level: str) -> set[str]:
    """Every short name an asked name can stand for: itself, and itself without any one suffix
    it ends with (新村社区居委会 → itself, 新村社区, 新村), so that a division's short name plus
    any suffix always reaches it, whatever its short name ends with."""
    normal = name_normal(name)
    keys = {normal}
    for suffix in SUFFIXES[level]:
        if normal.endswith(suffix) and len(normal) > len(suffix):
            keys.add(normal[: -len(suffix)])
    return keys


# --- the list, loaded once --------------------------------------------------------------------
@dataclass(frozen=True)
class _Tree:
    raw: bytes  # the decompressed CSV
    upper: dict[str, tuple[str, int, int]]  # code → (name, its villages' block start, end)
    children: dict[str, list[str]]  # parent code → child codes above village level, in order


# Each division above village level: "\n" code "," name. A village's 12 digits never match, and
# the list has no code of 3, 5, 7 or 8 digits (scripts/divisions_build.py checks): \d{2,9} scans
# the 22 MB faster than an alternation of the four lengths.
_UPPER_LINE = re.compile(rb"\n(\d{2,9}),([^\n]*)")
_lock = threading.Lock()
_loaded: _Tree | None = None


def _tree() -> _Tree:
    global _loaded  # the one list of the process, loaded on first use
    if _loaded is None:
        with _lock:  # threads asking at once load it once
            if _loaded is None:
                _loaded = _tree_load()
    return _loaded


def _tree_load() -> _Tree:
    raw = lzma.decompress(LIST_2023.read_bytes())
    upper: dict[str, tuple[str, int, int]] = {}
    children: dict[str, list[str]] = {}
    previous: tuple[str, str, int] | None = None
    for m in _UPPER_LINE.finditer(raw):
        if previous:
            upper[previous[0]] = (previous[1], previous[2], m.start())
        code = m.group(1).decode()
        previous = (code, m.group(2).decode(), m.end() + 1)
        parent = PARENT_DIGITS.get(len(code))
        if parent:
            children.setdefault(code[:parent], []).append(code)
    if previous:
        upper[previous[0]] = (previous[1], previous[2], len(raw.rstrip(b"\n")))
    return _Tree(raw=raw, upper=upper, children=children)


def _villages(town_code: str) -> list[DivisionEntry]:
    if len(town_code) != LEVEL_DIGITS["town"]:
        return []
    tree = _tree()
    found = tree.upper.get(town_code)
    if found is None:
        return []
    _, start, end = found
    block = tree.raw[start:end].decode()
    return [
        DivisionEntry(code, name, "village")
        for code, name in (line.split(",", 1) for line in block.split("\n") if line)
    ]


@functools.cache
def _counties() -> dict[str, str]:
    with open(COUNTIES_2023, encoding="utf-8", newline="") as f:
        return {row["code"]: row["name"] for row in csv.DictReader(f)}


def _entry(code: str) -> DivisionEntry | None:
    if len(code) <= LEVEL_DIGITS["county"]:
        name = _counties().get(code)
    else:
        found = _tree().upper.get(code)
        name = found[0] if found else None
    return DivisionEntry(code, name, LEVEL_OF_DIGITS[len(code)]) if name is not None else None


# --- the API ----------------------------------------------------------------------------------
def division(code: str) -> DivisionEntry | None:
    """The division of a 2-, 4-, 6-, 9- or 12-digit code in the 2023 list; None when not in it."""
    if len(code) == LEVEL_DIGITS["village"]:
        return next((v for v in _villages(code[:9]) if v.code == code), None)
    return _entry(code)


def children(code: str) -> list[DivisionEntry]:
    """The direct children of a division, in code order ([] for a village or an unknown code)."""
    if len(code) == LEVEL_DIGITS["town"]:
        return _villages(code)
    return [e for c in _tree().children.get(code, []) if (e := _entry(c))]


@functools.cache
def _counties_by_name() -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    full: dict[str, list[str]] = {}
    short: dict[str, list[str]] = {}
    for code, name in _counties().items():
        if len(code) == LEVEL_DIGITS["county"]:
            full.setdefault(name_normal(name), []).append(code)
            short.setdefault(name_short(name, "county"), []).append(code)
    return full, short


def counties_of(city_code: str) -> list[DivisionEntry]:
    """The counties (区/县/县级市) of a 4-digit city in the 2023 list, from the small table (a
    municipality's 市辖区 is no county)."""
    return [
        DivisionEntry(code, name, "county")
        for code, name in _counties().items()
        if len(code) == LEVEL_DIGITS["county"]
        and code.startswith(city_code)
        and name not in MUNICIPAL_CITY_NAMES
    ]


def counties_named(name: str) -> list[DivisionEntry]:
    """The counties (区/县/县级市) of that name, in code order: those with the same full name, or
    when none, those whose name without its suffix matches (张湾 → 张湾区)."""
    full, short = _counties_by_name()
    codes = full.get(name_normal(name)) or sorted(
        {c for key in _name_keys(name, "county") for c in short.get(key, [])}
    )
    return [e for c in codes if (e := _entry(c))]


def city_name(code: str) -> str | None:
    """The name of the city (4 digits) a code lies in. A municipality's 市辖区 and 县 answer with
    the province (北京市); a county directly under its province (仙桃市) is its own city. None
    for a province or a code not in the list."""
    if len(code) < LEVEL_DIGITS["city"] or division(code) is None:
        return None
    city = _entry(code[:4])
    if city.name in MUNICIPAL_CITY_NAMES:
        return _entry(code[:2]).name
    if city.name in DIRECT_COUNTY_CITY_NAMES:
        county = _entry(code[:6]) if len(code) >= LEVEL_DIGITS["county"] else None
        return county.name if county else None
    return city.name


@functools.cache
def _list_2016() -> dict[str, DivisionEntry]:
    entries = {}
    for filename in LISTS_2016:
        with open(DIVISIONS_DIR / filename, encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                digits = LEVEL_DIGITS.get(row["level"])
                if digits:  # 12-digit codes, cut to their level's length
                    code = row["code"][:digits]
                    entries[code] = DivisionEntry(code, row["name"], row["level"])
    return entries


def retired(code: str) -> DivisionEntry | None:
    """The 2016 division of a code that the 2023 list no longer has (下城区 330103, merged into
    拱墅区); None when the code is current or in no shipped list. The 2016 lists cover Wuhan,
    Hangzhou and Shiyan only."""
    old = _list_2016().get(code)
    return old if old and division(code) is None else None


@dataclass(frozen=True)
class _Named:
    entry: DivisionEntry
    normal: str  # name_normal of its name
    short: str  # its short name


@functools.lru_cache(maxsize=64)  # an import asks about one county's names many times
def _scope(level: str, within: str) -> tuple[_Named, ...]:
    if level == "town" or len(within) == LEVEL_DIGITS["town"]:
        entries = children(within)
    else:
        entries = [v for town in children(within) for v in _villages(town.code)]
    return tuple(_Named(e, name_normal(e.name), e.short_name) for e in entries)


def _scope_check(level: str, within: str) -> None:
    allowed = {"town": ("county",), "village": ("county", "town")}
    if level not in allowed:
        raise ValueError(f"level {level!r}: name_match matches 'town' or 'village' names")
    digits = within.isascii() and within.isdigit()
    within_level = LEVEL_OF_DIGITS.get(len(within)) if digits else None
    if within_level not in allowed[level]:
        kinds = " or ".join(f"a {lvl} ({LEVEL_DIGITS[lvl]} digits)" for lvl in allowed[level])
        raise ValueError(f"within={within!r}: {level} names are matched within {kinds}")
    if division(within) is None:
        old = retired(within)
        hint = f"; it is the retired {old.name} of the 2016 list" if old else ""
        raise ValueError(
            f"within={within!r} is not in the 2023 division list{hint}: "
            f"give the code of a current {within_level}"
        )


def name_match(name: str, *, level: str, within: str) -> NameMatch:
    """The division of a town (street) or village (community) name among the descendants of
    `within` (a county, or for villages a town). Spaces, full-width characters and the suffix
    variants (街道办事处 for 街道, 社区居委会 for 社区居民委员会, …) do not count. `exact`: one
    division has that short name and the same full name; `variant`: one has the short name;
    `ambiguous`: several have it (best first, the same full name scoring 1.0); `unmatched`:
    none, the candidates are the most similar names. Only exact and variant carry a code."""
    _scope_check(level, within)
    entries = _scope(level, within)
    normal = name_normal(name)
    if not normal:
        return NameMatch(name, "unmatched", None, ())
    keys = _name_keys(name, level)
    same = [n for n in entries if n.short in keys]
    if same:
        scored = sorted(
            ((n.entry, 1.0 if n.normal == normal else SCORE_SAME_SHORT_NAME) for n in same),
            key=lambda es: (-es[1], es[0].code),
        )
        candidates = tuple((e.code, e.name, score) for e, score in scored[:MAX_CANDIDATES])
        if len(same) == 1:
            status = "exact" if scored[0][1] == 1.0 else "variant"
            return NameMatch(name, status, scored[0][0].code, candidates)
        # Several divisions share the short name: the one whose full name it is, or the one of
        # the kind its suffix says (柏林社区 is the residents' committee, not 柏林村委会), if one.
        one, how = narrowed(name, level, same, lambda n: n.entry.name)
        if one is None:
            return NameMatch(name, "ambiguous", None, candidates)
        code = one.entry.code
        first = sorted(candidates, key=lambda c: c[0] != code)  # the chosen one first
        return NameMatch(name, how, code, tuple(first))
    return NameMatch(name, "unmatched", None, _similar(name_short(name, level), entries))


def _similar(short: str, entries: tuple[_Named, ...]) -> tuple[tuple[str, str, float], ...]:
    """The closest names (二堰埔 → 二堰铺): the share of the longer short name that difflib finds
    in both, so a wrong character (埔 for 铺) weighs as much as a missing one (二堰); on a tie
    the name of the same length first."""
    scored = []
    for n in entries:
        same = sum(
            b.size for b in difflib.SequenceMatcher(None, short, n.short).get_matching_blocks()
        )
        similarity = same / max(len(short), len(n.short))
        if similarity >= SIMILAR_CUTOFF:
            scored.append((-similarity, abs(len(n.short) - len(short)), n.entry.code, n.entry.name))
    scored.sort()
    return tuple(
        (code, name, round(SCORE_SIMILAR * -neg, 3))
        for neg, _, code, name in scored[:MAX_CANDIDATES]
    )
