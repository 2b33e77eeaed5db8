"""Official codes for a file that carries a local system's codes (`SQ`, `SQ-3`, `SQ-3-2`): the
file's code is kept as `source_code`, the official one is found from the name in the national
division list (streets, communities) or generated in reading order (grids, micro-grids)."""

import pandas as pd

from layers.io.columns import LayerColumns
from layers.io.validate import ImportReport


def codes_resolved(
    *,
    frame: pd.DataFrame,
    wkb: list,
    spec: LayerColumns,
    report: ImportReport,
    county: str | None = None,
) -> pd.DataFrame:
    """`frame` with official codes in `code` (and parent columns). Not yet built: unchanged."""
    return frame
