"""The city's headline figures and its extent (the map page, the dashboard): one query each,
however large the city."""

from dataclasses import dataclass
from pathlib import Path

from django.db import connection

from geo.sql import sql_text

SQL_DIR = Path(__file__).resolve().parent / "sql"


@dataclass(frozen=True)
class CitySummary:
    """Counts of every layer, plus the two figures leadership asks about first."""

    districts: int
    streets: int
    communities: int
    grids: int
    microgrids: int
    xiaoqus: int
    buildings: int
    households: int  # summed over buildings: households are typed there and nowhere else
    stations: int
    units: int
    communities_unpaired: int  # communities with no sent-down unit paired (结对共建)


def city_summary() -> CitySummary:
    """Headline counts of the whole database, read in a single statement.

    >>> city_summary().districts  # doctest: +SKIP
    13
    """
    with connection.cursor() as cur:
        # The file has no identifier slots: plain text, no composing.
        cur.execute(sql_text(SQL_DIR / "city_summary.sql"))
        row = cur.fetchone()
        names = [c.name for c in cur.description]
    # By name, not position: a column added to the SQL without a field fails loudly here.
    return CitySummary(**{name: int(value) for name, value in zip(names, row, strict=True)})


# The whole Web Mercator world: the view of a city with no street yet.
WORLD_BOUNDS = [-180.0, -85.0511, 180.0, 85.0511]


def city_bounds() -> list[float]:
    """[west, south, east, north] in degrees, around every street (6 decimals)."""
    with connection.cursor() as cur:
        cur.execute(sql_text(SQL_DIR / "city_bounds.sql"))
        row = cur.fetchone()
    if row is None or row[0] is None:
        return list(WORLD_BOUNDS)
    return [round(v, 6) for v in row]
