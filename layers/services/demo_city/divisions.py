"""Real district, street and community names and codes for the demo city.

Source: fixtures/divisions/wuhan_4201_2016.csv, cut from Vonng/adcode (National Bureau of
Statistics list of 2016-07-31, CC BY 4.0; see fixtures/divisions/LICENSE.vonng.md).
"""

import csv
from dataclasses import dataclass, field
from pathlib import Path

from .names import short_division_name

DIVISIONS_CSV = (
    Path(__file__).resolve().parents[3] / "fixtures" / "divisions" / "wuhan_4201_2016.csv"
)
URBAN = {"111", "112"}  # 城乡分类: city centre and urban-rural fringe


@dataclass
class StreetPick:
    code: str  # 9 digits
    name: str
    communities: list[tuple[str, str, str]] = field(default_factory=list)  # (12-digit, name, ur)


@dataclass
class DistrictPick:
    code: str  # 6 digits
    name: str
    streets: list[StreetPick] = field(default_factory=list)


def _read():
    with open(DIVISIONS_CSV, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    districts = {r["code"]: r for r in rows if r["level"] == "county" and r["virtual"] != "t"}
    towns: dict[str, list[dict]] = {}
    villages: dict[str, list[dict]] = {}
    for r in rows:
        if r["level"] == "town":
            towns.setdefault(r["parent"], []).append(r)
        elif r["level"] == "village":
            villages.setdefault(r["parent"], []).append(r)
    return districts, towns, villages


def _urban_first(vs: list[dict]) -> list[dict]:
    # Communities (社区) before villages (村): the demo city is urban. Stable by code after that.
    return sorted(vs, key=lambda v: (v["ur_code"] not in URBAN, v["code"]))


def divisions_pick(*, districts: int, streets: int, communities: int) -> list[DistrictPick]:
    """The first `districts` districts by code; streets and communities shared among them in
    proportion to what each really has, urban streets and communities first."""
    all_d, towns, villages = _read()
    d_codes = sorted(all_d)[:districts]
    # Street candidates per district: most urban communities first, then by code.
    cands = {
        d: sorted(
            towns.get(d, []),
            key=lambda t: (
                -sum(v["ur_code"] in URBAN for v in villages.get(t["code"], [])),
                t["code"],
            ),
        )
        for d in d_codes
    }
    s_quota = _share(streets, {d: len(cands[d]) for d in d_codes})
    chosen: list[tuple[str, dict]] = [(d, t) for d in d_codes for t in cands[d][: s_quota[d]]]
    c_quota = _share(communities, {t["code"]: len(villages.get(t["code"], [])) for _, t in chosen})
    picks = []
    for d in d_codes:
        dp = DistrictPick(code=d[:6], name=all_d[d]["name"])
        for dd, t in chosen:
            if dd != d:
                continue
            sp = StreetPick(code=t["code"][:9], name=short_division_name(t["name"]))
            for v in sorted(
                _urban_first(villages.get(t["code"], []))[: c_quota[t["code"]]],
                key=lambda v: v["code"],
            ):
                sp.communities.append((v["code"], short_division_name(v["name"]), v["ur_code"]))
            if sp.communities:
                dp.streets.append(sp)
        picks.append(dp)
    return picks


def _share(total: int, capacity: dict[str, int]) -> dict[str, int]:
    """Split `total` across keys in proportion to capacity (largest remainder), never above it."""
    cap_sum = sum(capacity.values())
    if total > cap_sum:
        raise ValueError(f"asked for {total} divisions but the list has only {cap_sum}")
    exact = {k: total * c / cap_sum for k, c in capacity.items()}
    out = {k: min(int(v), capacity[k]) for k, v in exact.items()}
    # At least one each where possible, then by largest remainder.
    for k in sorted(capacity):
        if out[k] == 0 and capacity[k] > 0 and sum(out.values()) < total:
            out[k] = 1
    order = sorted(capacity, key=lambda k: (-(exact[k] - int(exact[k])), k))
    while sum(out.values()) < total:
        for k in order:
            if out[k] < capacity[k] and sum(out.values()) < total:
                out[k] += 1
    while sum(out.values()) > total:
        k = max(out, key=lambda k: (out[k], k))
        out[k] -= 1
    return out
