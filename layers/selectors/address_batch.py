"""Many addresses at once, for the batch lookup: the rows one SQL statement can answer as
`address_candidates` would — certain, or not certain with its first candidate — and None for
every other row, left to `address_candidates` one by one.

    >>> answers = address_answers(["紫晴小区3栋", "湖晴"])  # doctest: +SKIP
    >>> answers[0].certain, answers[0].building_name, answers[1]  # doctest: +SKIP
    (True, '3栋', None)

Never certain where `address_candidates` is not (the invariant of issue 13): the statement
takes only the plain form — a compound typed as the name or alias of a compound (or of several
that share it), a building number, at most a unit, floor or room — and nothing that makes the
per-row search doubt or read more: no road or door, no district, street or community, no
bracketed note, no old number or range, no pinyin initials, no leftover pieces.
sql/address_batch.sql gathers what the per-row search would for such a query: each named
compound's building of that number (or the compound, without one), the stored addresses that end
with the whole query (they score 1), and the compounds among the nearest names and aliases with
their similarities. Those the per-row scorer (`candidate_score`) scores exactly; every other
compound is bounded from above (the building's part counted when it has a building of that
number, as if the unit, floor and room fit it). Certain only when the best exact score clears
that bound by the per-row margin; not certain, with the same first candidate, when it is still
ahead of the bound; None when it is not.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection, transaction

from geo.errors import BadRequest
from geo.sql import sql_text
from layers.address_parse import ParsedAddress
from layers.selectors import address_search as search

SQL_DIR = Path(__file__).resolve().parent / "sql"
_INITIALS = re.compile(r"[A-Z]{2,10}")


@dataclass(frozen=True)
class BatchAnswer:
    """A row's first candidate, as `address_candidates` would rank it first, and whether the
    answer is certain. A compound without the typed building has no building fields."""

    certain: bool
    xiaoqu_code: str | None
    xiaoqu_name: str | None
    building_id: int | None = None
    building_code: str | None = None
    building_name: str | None = None
    lon: float | None = None  # the building's address point, EPSG:4326
    lat: float | None = None


def _plain(q: str) -> ParsedAddress | None:
    """The parsed address when it has the one form the fast path decides, else None."""
    try:
        p = search._query_parse(q)
    except BadRequest:
        return None
    plain = (
        p.compound_full
        and p.building
        and not (p.road or p.door is not None or p.district or p.divisions or p.rest)
        and not (p.notes or p.old_building or p.building_range)
        and not _INITIALS.fullmatch(p.compound_full)
    )
    return p if plain else None


def address_answers(texts: list[str]) -> list[BatchAnswer | None]:
    """For each address text: its answer when the statement can give it, else None (ask
    `address_candidates`). One statement for the whole list."""
    parsed = _parsed_once(texts)
    rows = [i for i, p in enumerate(parsed) if p is not None]
    out: list[BatchAnswer | None] = [None] * len(texts)
    if not rows:
        return out
    params = _params(parsed, rows)
    found = _Gathered.of(_rows(params))
    by_score: dict[int, list[tuple[float, dict]]] = {}
    for j, owners in found.named.items():
        i, k = rows[j - 1], params["row_name"][j - 1]
        near = found.near.get(k, [])
        if k not in by_score:  # the name's nearest, best name first (one phase per name)
            by_score[k] = _names_by_score(near, parsed[i])
        exact = [found.buildings[b] for b in owners[0]["exact"] or ()]
        bound = _bound(parsed[i].building, owners, by_score[k], found.numbers)
        out[i] = _answer(owners, parsed[i], near, exact, bound)
    return out


def _parsed_once(texts: list[str]) -> list[ParsedAddress | None]:
    once: dict[str, ParsedAddress | None] = {}  # a sheet repeats addresses: parsed once each
    return [once[t] if t in once else once.setdefault(t, _plain(t)) for t in texts]


def _params(parsed: list[ParsedAddress | None], rows: list[int]) -> dict:
    """The statement's parameters: each distinct (name, core) once, numbered from 1, and per
    row its name's number, building and text."""
    names: dict[tuple[str, str | None], int] = {}
    for i in rows:
        names.setdefault((parsed[i].compound_full, _core(parsed[i])), len(names) + 1)
    return {
        "names": [n for n, _ in names],
        "cores": [c for _, c in names],
        "names_like": [f"%{search._like_escaped(n)}%" for n, _ in names],
        "row_name": [names[(parsed[i].compound_full, _core(parsed[i]))] for i in rows],
        "row_building": [parsed[i].building for i in rows],
        "row_text": [parsed[i].normalized for i in rows],
        "knn": search.NEAREST_NAMES,
    }


@dataclass
class _Gathered:
    """The statement's rows by kind: buildings by id, each compound's building numbers, the
    nearest names per name number (k), the named compounds' rows per row number (i)."""

    buildings: dict[int, dict] = field(default_factory=dict)
    numbers: dict[int, frozenset[str]] = field(default_factory=dict)
    near: dict[int, list[dict]] = field(default_factory=dict)
    named: dict[int, list[dict]] = field(default_factory=dict)

    @classmethod
    def of(cls, found: list[dict]) -> "_Gathered":
        out = cls()
        for r in found:
            if r["kind"] == "building":
                out.buildings[r["building_id"]] = r
            elif r["kind"] == "numbers":
                out.numbers[r["xiaoqu_id"]] = frozenset(r["numbers"])
            elif r["kind"] == "name":
                out.near.setdefault(r["k"], []).append(r)
            elif r["kind"] == "row":
                out.named.setdefault(r["i"], []).append(r)
        return out


def _names_by_score(near: list[dict], parsed: ParsedAddress) -> list[tuple[float, dict]]:
    scored = ((search._name_score(n, parsed), n) for n in near)
    return sorted(scored, key=lambda sn: -sn[0])


def _core(p: ParsedAddress) -> str | None:
    return p.compound if p.phase else None


def _rows(params: dict) -> list[dict]:
    with transaction.atomic(), connection.cursor() as cur:
        # Its estimates over unnest() are far off: JIT would compile for a second, for nothing.
        cur.execute("SET LOCAL jit = off")
        cur.execute(sql_text(SQL_DIR / "address_batch.sql"), params)
        names = [c.name for c in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _answer(
    owners: list[dict],
    parsed: ParsedAddress,
    near: list[dict],
    exact: list[dict],
    bound: float,
) -> BatchAnswer | None:
    """The per-row ranking's first two, scored as the per-row search scores them where they are
    known (the named compounds' candidates, the exact hits) and bounded from above where not."""
    sims = {n["xiaoqu_id"]: n for n in near}
    if owners[0]["text_is_a_name"] or any(
        o["matches"] > 1 or o["xiaoqu_id"] not in sims for o in owners
    ):
        return None  # two buildings of the number in one compound, a name typed as is
    known = _owners_scored(owners, sims, parsed)
    _exact_scored(known, exact, parsed)
    ranked = sorted(known.values(), key=_per_row_order)
    (first, top), runners_up = ranked[0], [v[0] for v in ranked[1:]]
    second = max([*runners_up, bound], default=0.0)
    if first < search._setting("GRIDATLAS_ADDRESS_MIN_SCORE") or first <= bound:
        return None  # another compound may come first: only the per-row search can tell
    is_building = top["level"] == "building"  # else the compound, which pins no building
    certain = is_building and _clears_margin(first, second)
    return _batch_answer(top, certain=certain, is_building=is_building)


def _owners_scored(owners: list[dict], sims: dict[int, dict], parsed: ParsedAddress) -> dict:
    """(level, building, compound) → (score, the row it is), for each named compound."""
    known = {}
    for o in owners:
        # The compound's building of the typed number; without one, the compound itself.
        level = "building" if o["matches"] == 1 else "xiaoqu"
        own = sims[o["xiaoqu_id"]]
        scored = {
            **o,
            "level": level,
            "exact": False,
            "text_is_name": 0,
            "full_sims": own["full_sims"],
            "core_sims": own["core_sims"],
        }
        score = round(search.candidate_score(scored, parsed), 4)
        known[(level, o["building_id"], o["xiaoqu_id"])] = (score, {**o, "level": level})
    return known


def _exact_scored(known: dict, exact: list[dict], parsed: ParsedAddress) -> None:
    """The exact hits into `known`, where they score more than what is there."""
    for e in exact:
        key = ("building", e["building_id"], e["xiaoqu_id"])
        score = round(search.candidate_score({**e, "exact": True}, parsed), 4)
        if key not in known or known[key][0] < score:
            known[key] = (score, {**e, "level": "building"})


def _per_row_order(v: tuple[float, dict]):
    """The per-row order: score, buildings before compounds, then by code."""
    score, row = v
    return (-score, row["level"] != "building", row["building_code"] or row["xiaoqu_code"])


def _clears_margin(first: float, second: float) -> bool:
    """Certain enough, and far enough ahead of the second (or of the bound)."""
    score = search._setting("GRIDATLAS_ADDRESS_CERTAIN_SCORE")
    margin = search._setting("GRIDATLAS_ADDRESS_CERTAIN_MARGIN")
    return first >= score and first - second >= margin


def _batch_answer(top: dict, *, certain: bool, is_building: bool) -> BatchAnswer:
    if not is_building:
        return BatchAnswer(
            certain=certain, xiaoqu_code=top["xiaoqu_code"], xiaoqu_name=top["xiaoqu_name"]
        )
    return BatchAnswer(
        certain=certain,
        xiaoqu_code=top["xiaoqu_code"],
        xiaoqu_name=top["xiaoqu_name"],
        building_id=top["building_id"],
        building_code=top["building_code"],
        building_name=top["building_name"],
        lon=round(top["lon"], 7),
        lat=round(top["lat"], 7),
    )


def _bound(
    building: str,
    owners: list[dict],
    by_score: list[tuple[float, dict]],
    numbers: dict[int, frozenset[str]],
) -> float:
    """The most any other compound among the nearest names can score: with the building's
    part when it has a building of that number, as if the unit, floor and room fit it.
    `by_score` is best name first, so the scan stops once no compound left can score more."""
    ids = {o["xiaoqu_id"] for o in owners}
    weight = search.WEIGHT_NAME + search.WEIGHT_BUILDING
    best = 0.0
    for name_score, n in by_score:
        if n["xiaoqu_id"] in ids:
            continue
        if (search.WEIGHT_NAME * name_score + search.WEIGHT_BUILDING) / weight <= best:
            break
        has = building in numbers.get(n["xiaoqu_id"], ())
        best = max(best, (search.WEIGHT_NAME * name_score + search.WEIGHT_BUILDING * has) / weight)
    return round(min(1.0, best), 4)
