"""Unit pairing (结对共建): communities with no paired sent-down unit, and the members units
registered in each community (双报到) against the 1:50 rule: one registered member for every
GRIDATLAS_HOUSEHOLDS_PER_MEMBER households, so a community needs ceil(households / 50) members.

A community's shortfall is what it lacks, never less than 0: a surplus elsewhere does not fill
it, so the area's shortfall is the sum of the communities' shortfalls, not required − registered.

>>> pairing_report().total["communities_unpaired"]  # doctest: +SKIP
173
"""

import math
from dataclasses import dataclass

from django.conf import settings

from geo.city_profile import city_profile
from layers.analysis import CITY, Area, sql_rows


@dataclass(frozen=True)
class PairingReport:
    households_per_member: int
    total: dict
    communities: list[dict]  # every community of the area, in code order


def pairing_rows(*, rows: list[dict], households_per_member: int) -> list[dict]:
    """Each community with its required members, shortfall, households per registered member
    (None with no member) and whether it is unpaired. Pure."""
    out = []
    for r in rows:
        required = math.ceil(r["households"] / households_per_member)
        members = r["registered_members"]
        out.append(
            {
                **r,
                "unpaired": r["units"] == 0,
                "members_required": required,
                "shortfall": max(0, required - members),
                "households_per_member": (round(r["households"] / members, 1) if members else None),
            }
        )
    return out


def pairing_total(*, code: str, name: str, communities: list[dict]) -> dict:
    """The area's totals (code and name: the area's); the shortfall sums the communities'. Pure."""
    households = sum(c["households"] for c in communities)
    members = sum(c["registered_members"] for c in communities)
    return {
        "code": code,
        "name": name,
        "communities": len(communities),
        "communities_unpaired": sum(c["unpaired"] for c in communities),
        "communities_short": sum(c["shortfall"] > 0 for c in communities),
        # The dashboard's gap list: unpaired, or short of members (an unpaired community with
        # no households is not short), counted here so the page shows a server total.
        "communities_unpaired_or_short": sum(
            c["unpaired"] or c["shortfall"] > 0 for c in communities
        ),
        "households": households,
        "registered_members": members,
        "members_required": sum(c["members_required"] for c in communities),
        "shortfall": sum(c["shortfall"] for c in communities),
        "households_per_member": round(households / members, 1) if members else None,
    }


def pairing_report(*, area: Area = CITY) -> PairingReport:
    """The pairing of every community of `area`, with the rule read from settings."""
    per = settings.GRIDATLAS_HOUSEHOLDS_PER_MEMBER
    rows = pairing_rows(
        rows=sql_rows("community_pairing.sql", area.sql_params()), households_per_member=per
    )
    total = pairing_total(
        code=area.code or city_profile().code,
        name=area.name or city_profile().name,
        communities=rows,
    )
    return PairingReport(households_per_member=per, total=total, communities=rows)
