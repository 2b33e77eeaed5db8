"""Several rows of one code are one feature: their polygons are dissolved into one MultiPolygon
(reported), and parts too small to be a boundary are dropped with a note."""

import pandas as pd

from layers.io.columns import LayerColumns
from layers.io.validate import ImportReport


def features_dissolved(
    *, frame: pd.DataFrame, wkb: list, spec: LayerColumns, report: ImportReport
) -> tuple[pd.DataFrame, list]:
    """`frame` and its geometries (EWKB hex, aligned by position) with the rows sharing a key
    merged into one. Not yet built: returns them unchanged."""
    return frame, wkb
