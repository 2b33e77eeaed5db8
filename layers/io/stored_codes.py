"""The features GridAtlas already stores at one code level, found by the source system's code or
by name: how a file naming its parents by local code (`SQ`) or by name (`花果街道`) reaches the
official code (layers.io.code_resolve, issue 15).

Names compare as the division list compares them (geo.division_list): full-width and spaces do
not count, nor a street's or community's suffix (花果街道办事处 is 花果).
"""

from collections import defaultdict

from django.db.models.functions import Left

from geo.codes import LEVELS
from geo.division_list import name_normal, name_short, narrowed
from layers.catalogue import LAYERS

# The division-list level whose name suffixes a GridAtlas level's names carry.
NAME_LEVEL = {"district": "county", "street": "town", "community": "village"}


def level_model(level: str):
    """The model holding a code level's features (the catalogue's layer of that level)."""
    return next(layer.model for layer in LAYERS.values() if layer.code_level == level)


def name_key(name: str, level: str) -> str:
    """How a name compares at a level: without its suffix where the level has suffixes."""
    division_level = NAME_LEVEL.get(level)
    return name_short(name, division_level) if division_level else name_normal(name)


class StoredLevel:
    """The stored features of `level` whose codes start with `prefix` (all when blank), loaded
    once: (code, name) by source code and by name."""

    def __init__(self, level: str, prefix: str = ""):
        self.level = level
        self.by_source: dict[str, list[tuple[str, str]]] = defaultdict(list)
        self.by_name: dict[str, list[tuple[str, str]]] = defaultdict(list)
        rows = level_model(level).objects.filter(code__startswith=prefix)
        for code, name, source in rows.values_list("code", "name", "source_code").order_by("code"):
            if len(code) != LEVELS[level].digits:
                continue
            if source:
                self.by_source[source].append((code, name))
            self.by_name[name_key(name, level)].append((code, name))

    def with_source(self, source: str) -> list[tuple[str, str]]:
        return self.by_source.get(source, [])

    def named(self, name: str) -> list[tuple[str, str]]:
        """The stored features `name` may mean: those of its short name, narrowed (as
        geo.division_list.name_match does) to the one of that very name, else to the one of the
        kind its suffix says (柏林村委会 is not 柏林社区居民委员会)."""
        found = self.by_name.get(name_key(name, self.level), [])
        division_level = NAME_LEVEL.get(self.level)
        if len(found) < 2 or division_level is None:
            return found
        one, _ = narrowed(name, division_level, found, lambda f: f[1])
        return [one] if one is not None else found


def children_stored(level: str, parents: list[str]) -> dict[str, list[tuple[str, str]]]:
    """parent code → [(code, source code)] of the stored features of `level` under it, in code
    order: what a code generated under the parent must not take, and what a re-import keeps."""
    out: dict[str, list[tuple[str, str]]] = {p: [] for p in parents}
    cut = LEVELS[LEVELS[level].parent].digits
    # One query for every parent: a code names its ancestry, so the parent is its prefix.
    rows = level_model(level).objects.annotate(parent=Left("code", cut))
    rows = rows.filter(parent__in=list(parents))
    for code, source in rows.values_list("code", "source_code").order_by("code"):
        out[code[:cut]].append((code, source))
    return out
