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
from dataclasses import dataclass
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
    once: dict[str, ParsedAddress | None] = {}  # a sheet repeats addresses: parsed once each
    parsed = [once[t] if t in once else once.setdefault(t, _plain(t)) for t in texts]
    rows = [i for i, p in enumerate(parsed) if p is not None]
    out: list[BatchAnswer | None] = [None] * len(texts)
    if not rows:
        return out
    names: dict[tuple[str, str | None], int] = {}
    for i in rows:
        names.setdefault((parsed[i].compound_full, _core(parsed[i])), len(names) + 1)
    params = {
        "names": [n for n, _ in names],
        "cores": [c for _, c in names],
        "names_like": [f"%{search._like_escaped(n)}%" for n, _ in names],
        "row_name": [names[(parsed[i].compound_full, _core(parsed[i]))] for i in rows],
        "row_building": [parsed[i].building for i in rows],
        "row_text": [parsed[i].normalized for i in rows],
        "knn": search.NEAREST_NAMES,
    }
    found = _rows(params)
    near: dict[int, list[dict]] = {}
    buildings = {r["building_id"]: r for r in found if r["kind"] == "building"}
    numbers = {r["xiaoqu_id"]: frozenset(r["numbers"]) for r in found if r["kind"] == "numbers"}
    for r in found:
        if r["kind"] == "name":
            near.setdefault(r["k"], []).append(r)
    named: dict[int, list[dict]] = {}  # per row, a row of each compound its name names
    for r in found:
        if r["kind"] == "row":
            named.setdefault(r["i"], []).append(r)
    by_score: dict[int, list[tuple[float, dict]]] = {}
    for j, owners in named.items():
        i, k = rows[j - 1], params["row_name"][j - 1]
        if k not in by_score:  # the name's nearest, best name first (one phase per name)
            scored = ((search._name_score(n, parsed[i]), n) for n in near.get(k, []))
            by_score[k] = sorted(scored, key=lambda sn: -sn[0])
        exact = [buildings[b] for b in owners[0]["exact"] or ()]
        bound = _bound(parsed[i].building, owners, by_score[k], numbers)
        out[i] = _answer(owners, parsed[i], near.get(k, []), exact, bound)
    return out


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
    known = {}  # (level, building, compound) → (score, the row it is)
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
    for e in exact:
        key = ("building", e["building_id"], e["xiaoqu_id"])
        score = round(search.candidate_score({**e, "exact": True}, parsed), 4)
        if key not in known or known[key][0] < score:
            known[key] = (score, {**e, "level": "building"})
    # The per-row order: score, buildings before compounds, then by code.
    ranked = sorted(
        known.values(),
        key=lambda v: (
            -v[0],
            v[1]["level"] != "building",
            v[1]["building_code"] or v[1]["xiaoqu_code"],
        ),
    )
    (first, top), runners_up = ranked[0], [v[0] for v in ranked[1:]]
    second = max([*runners_up, bound], default=0.0)
    if first < search._setting("GRIDATLAS_ADDRESS_MIN_SCORE") or first <= bound:
        return None  # another compound may come first: only the per-row search can tell
    is_building = top["level"] == "building"  # else the compound, which pins no building
    certain = (
        is_building
        and first >= search._setting("GRIDATLAS_ADDRESS_CERTAIN_SCORE")
        and first - second >= search._setting("GRIDATLAS_ADDRESS_CERTAIN_MARGIN")
    )
    return BatchAnswer(
        certain=certain,
        xiaoqu_code=top["xiaoqu_code"],
        xiaoqu_name=top["xiaoqu_name"],
        building_id=top["building_id"] if is_building else None,
        building_code=top["building_code"] if is_building else None,
        building_name=top["building_name"] if is_building else None,
        lon=round(top["lon"], 7) if is_building else None,
        lat=round(top["lat"], 7) if is_building else None,
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
