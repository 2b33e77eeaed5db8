"""Parcels at import (issue 15): a grid or micro-grid import leaves its communities' layouts
freehand, which the editor cannot edit (it moves parcels). So once the import has written, in
the same transaction, every community it touched that has a freehand unit is cut into parcels
(layers.services.layout_parcelise), and the report says per community what happened.

A community whose grids leave gaps or overlap (the problems parcelise reports) is put back as it
was (a savepoint) and stays freehand with a warning saying where and what to do: gaps and
overlaps turned into unassigned parcels are the planner's call, made in the editor or with
`manage.py parcelise_layout`, not a side effect of an import.
"""

from collections import Counter
from pathlib import Path

from django.db import connection, transaction

from geo.sql import sql_text
from layers.io.validate import ImportReport
from layers.services.layout_parcelise import ParceliseReport, layout_parcelise

SQL_DIR = Path(__file__).resolve().parent / "sql"
# The column of the touched-communities query each layer's codes go to.
CODES_PARAM = {"grids": "grids", "microgrids": "microgrids"}
KIND_LABELS = {
    "gap": "gap(s) no grid covers",
    "overlap": "overlap(s) of grids",
    "microgrid_gap": "gap(s) no micro-grid covers",
    "microgrid_overlap": "overlap(s) of micro-grids",
}


def import_parcels_build(*, layer: str, codes: list[str], report: ImportReport) -> None:
    """Parcelise the freehand communities the rows `codes` of `layer` lie in (module docstring);
    a note per community parcelised, a warning per community left freehand."""
    if layer not in CODES_PARAM:
        return
    params = {"grids": [], "microgrids": []}
    params[CODES_PARAM[layer]] = [c for c in codes if c]
    with connection.cursor() as cur:
        cur.execute(sql_text(SQL_DIR / "import_freehand_communities.sql"), params)
        communities = [code for (code,) in cur.fetchall()]
    for code in communities:
        with transaction.atomic():  # a savepoint: a layout with problems is put back
            result = layout_parcelise(community_code=code)
            if result.problems:
                transaction.set_rollback(True)
        if result.problems:
            why = why_not_parcelised(result)
            report.parcels[code] = f"freehand: {why}"
            report.add(
                None,
                code,
                "not_parcelised",
                f"community {code} stays freehand, which the editor cannot edit: its layout has "
                f"{why}",
                repair=f"correct the grids and import them again; or build the parcels anyway "
                f"(the gaps and overlaps become parcels of no grid) with the editor's button or "
                f"manage.py parcelise_layout {code}",
                severity="warning",
            )
            continue
        report.parcels[code] = (
            f"parcelised: {result.parcels_after} parcels, {result.assigned} given to a grid"
        )
        report.notes.append(f"community {code}: {report.parcels[code]}")


def why_not_parcelised(result: ParceliseReport) -> str:
    """The problems in words: "2 gap(s) no grid covers (35 m² near (lon, lat)), …"."""
    counts = Counter(p.kind for p in result.problems)
    out = []
    for kind, n in counts.items():
        first = next(p for p in result.problems if p.kind == kind)
        area = sum(p.area_m2 for p in result.problems if p.kind == kind)
        out.append(
            f"{n} {KIND_LABELS[kind]} ({area:.0f} m², the first near "
            f"({first.lon:.6f}, {first.lat:.6f}){' in ' + first.parent if first.parent else ''})"
        )
    return ", ".join(out)
