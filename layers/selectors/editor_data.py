"""What the layout editor draws for one community: parcels with their figures and current grid,
the edges parcels share and the community outline (read-only; buildings and compounds are drawn
from the vector tiles).

The browser recomputes grid totals, contiguity and grid outlines from these as the planner edits
a draft, so nothing is fetched again until a draft is checked or published.
"""

from pathlib import Path

from django.db import connection, transaction

from geo.errors import NotFound
from geo.sql import sql_text

SQL_DIR = Path(__file__).resolve().parent / "sql"


def editor_community_json(*, community_code: str) -> str:
    """The editor's data as JSON text, built by PostGIS in one statement (EPSG:4326 GeoJSON);
    left as text so a large community is not parsed and re-serialised in Python."""
    with transaction.atomic(), connection.cursor() as cur:
        # The geometry aggregates' cost estimates push the statement over jit_above_cost, and
        # compiling it costs ~0.5 s for a query that runs in ~60 ms (412 parcels, city data).
        cur.execute("SET LOCAL jit = off")
        cur.execute(sql_text(SQL_DIR / "editor_community.sql"), {"community_code": community_code})
        found, body = cur.fetchone()
    if not found:
        raise NotFound(f"no community with code {community_code} (communities have 12 digits)")
    return body
