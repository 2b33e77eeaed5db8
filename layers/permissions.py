"""One permission model for every write path (docs/design.md: "Every write is scoped").

Written once, with `rules` predicates, and asked by the editing API (layout_authorise), the
import service (layer_import, whichever door it is called from), the upload page and the admin:

- a planner holds `layers.change_parcel` and writes only features of the streets assigned to
  them (PlannerStreet); staff and superusers with the permission write everywhere;
- districts, streets, sent-down units (city-wide organisations) and roads are staff-only;
- workers are personal data: importing them also needs `layers.view_worker`;
- SYSTEM, the operator at the command line, may do everything. Only code that runs outside a web
  request passes it; a web view always passes request.user, and None is refused like anonymous.

A feature's street is found from its code (a code names its ancestry: a community's, grid's,
compound's or building's first 9 digits are its street), its parent, or, for points, where its
geometry lies (feature_streets).
"""

from functools import cached_property

import rules

from geo.codes import LEVELS
from geo.errors import Forbidden
from layers.catalogue import LAYERS

PLANNER_PERMISSION = "layers.change_parcel"
WORKER_PERMISSION = "layers.view_worker"
STREET_DIGITS = LEVELS["street"].digits


class SystemActor:
    """The operator at the command line: every permission, every street. Never a web user."""

    is_authenticated = True
    is_active = True
    is_staff = True
    is_superuser = True
    is_anonymous = False
    pk = None
    username = "system"

    def has_perm(self, perm, obj=None) -> bool:
        return True

    def get_username(self) -> str:
        return self.username

    def __repr__(self) -> str:
        return "SYSTEM"


SYSTEM = SystemActor()


# --- predicates ----------------------------------------------------------------------------------


@rules.predicate
def is_system(user) -> bool:
    return user is SYSTEM


@rules.predicate
def is_signed_in(user) -> bool:
    return user is not None and user.is_authenticated and user.is_active


@rules.predicate
def is_staff(user) -> bool:
    return is_signed_in(user) and (user.is_staff or user.is_superuser)


@rules.predicate
def is_planner(user) -> bool:
    return is_signed_in(user) and user.has_perm(PLANNER_PERMISSION)


@rules.predicate
def may_read_workers(user) -> bool:
    return is_signed_in(user) and user.has_perm(WORKER_PERMISSION)


@rules.predicate
def plans_feature_street(user, feature) -> bool:
    """The feature lies in streets assigned to the user, all of them (a feature in no street,
    or one some street of which is not theirs, is not theirs)."""
    if not is_signed_in(user) or feature is None or user is SYSTEM:
        return False
    streets = feature_streets(feature)
    return streets is not None and bool(streets) and streets <= planner_streets(user)


# The planner's write on one feature: editing a layout (the feature is the community), a row of
# an import, an admin change.
may_write_feature = is_system | (is_planner & (is_staff | plans_feature_street))
# The upload page and the import service: who may import at all (rows are scoped after).
may_import = is_system | is_planner

rules.add_perm("layers.write_feature", may_write_feature)
rules.add_perm("layers.import", may_import)
rules.add_perm("layers.read_workers", may_read_workers)


# --- what a feature's street is ------------------------------------------------------------------


def planner_streets(user) -> frozenset[str]:
    """The codes of the streets assigned to the user (cached on the user object per request)."""
    cached = getattr(user, "_gridatlas_streets", None)
    if cached is None:
        from layers.models import PlannerStreet

        cached = frozenset(
            PlannerStreet.objects.filter(user=user).values_list("street__code", flat=True)
        )
        user._gridatlas_streets = cached
    return cached


def _by_code(code: str | None) -> set[str]:
    return {code[:STREET_DIGITS]} if code and len(code) >= STREET_DIGITS else set()


def _where(geom) -> set[str]:
    # Points (stations, addresses) belong where they lie: covers, so a point on a shared edge
    # belongs to both streets and needs both.
    from layers.models import Street

    if geom is None:
        return set()
    return set(Street.objects.filter(geom__covers=geom).values_list("code", flat=True))


def _code_of(model, pk) -> str | None:
    return model.objects.filter(pk=pk).values_list("code", flat=True).first() if pk else None


def _community_streets(f) -> set[str]:
    from layers.models import Community

    return _by_code(_code_of(Community, f.community_id))


def _station_streets(f) -> set[str]:
    from layers.models import Street

    return {*filter(None, [_code_of(Street, f.street_id)]), *_where(f.geom)}


def _address_streets(f) -> set[str]:
    from layers.models import Building

    return _by_code(_code_of(Building, f.building_id)) | _where(f.geom)


def _worker_streets(f) -> set[str]:
    from layers.models import Building, Grid, MicroGrid

    attached = [(Grid, f.grid_id), (MicroGrid, f.micro_grid_id), (Building, f.building_id)]
    return {s for model, pk in attached for s in _by_code(_code_of(model, pk))}


# model name → the streets of one of its rows; None: no street owns the model (staff only).
_STREETS_OF = {
    "Street": lambda f: {f.code},
    "Community": lambda f: _by_code(f.code),
    "Grid": lambda f: _by_code(f.code),
    "MicroGrid": lambda f: _by_code(f.code),
    "Xiaoqu": lambda f: _by_code(f.code),
    "Building": lambda f: _by_code(f.code),
    "Parcel": _community_streets,
    "LayoutDraft": _community_streets,
    "LayoutRevision": _community_streets,
    "Pairing": _community_streets,
    "CompoundAlias": lambda f: feature_streets(f.xiaoqu) or set(),
    "ServiceStation": _station_streets,
    "Address": _address_streets,
    "Worker": _worker_streets,
}


def feature_streets(feature) -> frozenset[str] | None:
    """The codes of the streets a stored (or about to be stored) feature lies in; None when no
    street owns it (districts, sent-down units, roads, anything else): staff only."""
    if feature is None or feature._meta.app_label != "layers":
        return None
    streets_of = _STREETS_OF.get(type(feature).__name__)
    return None if streets_of is None else frozenset(streets_of(feature))


# --- the questions the services ask --------------------------------------------------------------


def feature_writable(*, user, feature) -> bool:
    """May `user` write `feature`? The admin's per-object question, asked on top of Django's
    model permissions (change_grid, ...), which staff are given one by one: staff are bound to
    no street, a planner to theirs. Workers also need view_worker: nobody edits personal data
    they may not read."""
    from layers.models import Worker

    if isinstance(feature, Worker) and not (is_system(user) or may_read_workers(user)):
        return False
    if is_system(user) or is_staff(user):
        return True
    return feature_streets(feature) is not None and may_write_feature(user, feature)


class ImportScope:
    """What one user may import into one layer: `streets` None = every street."""

    def __init__(self, *, user, layer: str):
        self.user = user
        self.layer = layer

    @cached_property
    def streets(self) -> frozenset[str] | None:
        if is_system(self.user) or is_staff(self.user):
            return None
        return planner_streets(self.user)


def import_authorise(*, user, layer: str) -> ImportScope:
    """Raise Forbidden unless `user` may import `layer` at all; the scope its rows must keep.
    Checked before the file is read, so a refused user learns nothing from it."""
    if not is_system(user) and not is_signed_in(user):
        raise Forbidden("sign in to import layers")
    if not may_import(user):
        raise Forbidden("importing needs the planner permission (layers.change_parcel)")
    entry = LAYERS.get(layer)
    # Layers no street owns (catalogue `staff_only`): only staff (or the command line).
    if entry and entry.staff_only and not (is_system(user) or is_staff(user)):
        raise Forbidden(
            f"{layer} belong to no street: only staff import them; ask an administrator"
        )
    if entry and entry.personal and not (is_system(user) or may_read_workers(user)):
        raise Forbidden(
            "workers are personal data: importing them needs the layers.view_worker permission; "
            "ask an administrator"
        )
    scope = ImportScope(user=user, layer=layer)
    if scope.streets is not None and not scope.streets:
        raise Forbidden(
            "no street is assigned to you: ask an administrator to assign yours before importing"
        )
    return scope


def layers_importable(*, user, layers) -> list[str]:
    """The layer keys `user` may import (the upload page offers only those)."""
    out = []
    for layer in layers:
        try:
            import_authorise(user=user, layer=layer)
        except Forbidden:
            continue
        out.append(layer)
    return out
