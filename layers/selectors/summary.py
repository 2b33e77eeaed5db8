"""The city's headline figures (the map page): one query, however large the city."""

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
