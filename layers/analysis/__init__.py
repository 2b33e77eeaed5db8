"""The analyses leadership asks for (docs/design.md): station coverage, organisation coverage, grid
load and unit pairing; the heatmaps and siting live beside them.

Each analysis is split the same way (docs/style.md habit 7): a selector loads arrays or rows with
one SQL file per statement (`sql/`), a pure function computes, and the views, the `coverage`
command and `report.py` only present the results. What the modules share is here: the area a
request is narrowed to (a district or a street, by code) and the one place list lengths are capped.
"""

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection

from geo.errors import BadRequest, NotFound
from geo.sql import sql_text

SQL_DIR = Path(__file__).resolve().parent / "sql"


def analysis_max_rows() -> int:
    """Longest list one JSON answer carries (uncovered buildings, compounds, grids out of band)
    when the client asks no fewer; the command's files list every row."""
    return settings.GRIDATLAS_ANALYSIS_MAX_ROWS


@dataclass(frozen=True)
class Area:
    """The part of the city an analysis is narrowed to: the whole city (both None), a district or
    a street. Ids are database ids, resolved once from the codes a user typed."""

    district_id: int | None = None
    street_id: int | None = None
    code: str = ""  # the street's code, else the district's; "" for the whole city
    name: str = ""  # its name; "" for the whole city

    def sql_params(self) -> dict:
        """The %(district_id)s / %(street_id)s parameters of the SQL files (NULL: no filter)."""
        return {"district_id": self.district_id, "street_id": self.street_id}


CITY = Area()


def analysis_area(*, district_code: str | None = None, street_code: str | None = None) -> Area:
    """The Area of a district and/or street code. NotFound for a code the database does not
    have; BadRequest for a street outside the given district."""
    if not district_code and not street_code:
        return CITY
    district_id = street_id = None
    code = name = ""
    with connection.cursor() as cur:
        if district_code:
            cur.execute("SELECT id, name FROM layers_district WHERE code = %s", [district_code])
            row = cur.fetchone()
            if row is None:
                raise NotFound(f"no district with code {district_code}")
            district_id, code, name = row[0], district_code, row[1]
        if street_code:
            cur.execute(
                "SELECT s.id, s.name, d.id, d.code FROM layers_street s "
                "JOIN layers_district d ON d.id = s.district_id WHERE s.code = %s",
                [street_code],
            )
            row = cur.fetchone()
            if row is None:
                raise NotFound(f"no street with code {street_code}")
            if district_id is not None and row[2] != district_id:
                raise BadRequest(
                    f"street {street_code} lies in district {row[3]}, not {district_code}: "
                    "give one of the two, or a matching pair"
                )
            street_id, code, name = row[0], street_code, row[1]
    return Area(district_id=district_id, street_id=street_id, code=code, name=name)


def sql_rows(name: str, params: dict | None = None) -> list[dict]:
    """Every row of the statement in sql/<name>, as dicts by column name."""
    with connection.cursor() as cur:
        cur.execute(sql_text(SQL_DIR / name), params or {})
        names = [c.name for c in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
