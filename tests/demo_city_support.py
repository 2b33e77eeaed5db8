"""Loading the generated demo city into the test database for a whole module, and removing it
afterwards so other modules start from empty tables."""

import contextlib
import pickle

from django.db import connection
from pyproj import Transformer

from fixtures.demo_city import DEMO_CENTRE, DEMO_METRIC_SRID, city_load, city_plan
from fixtures.demo_city.defects import defects_apply
from fixtures.demo_city.load import HISTORY_TABLES, LAYER_TABLES
from geo.srid import STORAGE_SRID

DERIVED_TABLES = ["tiles_cache"]  # emptied with the layers (TRUNCATE fires no purge trigger)

WUHAN = DEMO_CENTRE


def centre_metric():
    return Transformer.from_crs(STORAGE_SRID, DEMO_METRIC_SRID, always_xy=True).transform(*WUHAN)


_PLANS: dict[tuple, bytes] = {}


def plan_make(*, scale="small", seed=42, with_defects=False):
    """The generated city; made once per test process (a tiny plan costs ~1 s, ~45 modules ask
    for one) and handed out as a fresh copy (unpickled: ~0.05 s, a deepcopy takes ~0.8 s), since
    some tests change the plan they load."""
    key = (scale, seed, with_defects)
    if key not in _PLANS:
        plan = city_plan(scale=scale, seed=seed, centre=centre_metric(), srid=DEMO_METRIC_SRID)
        if with_defects:
            defects_apply(plan)
        _PLANS[key] = pickle.dumps(plan)
    return pickle.loads(_PLANS[key])  # noqa: S301 (our own bytes, made just above)


def city_truncate():
    with connection.cursor() as cur:
        tables = LAYER_TABLES + HISTORY_TABLES + DERIVED_TABLES
        cur.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")


@contextlib.contextmanager
def city_loaded(django_db_blocker, plan):
    with django_db_blocker.unblock():
        city_load(plan=plan, replace=True)
    try:
        yield plan
    finally:
        with django_db_blocker.unblock():
            city_truncate()


def tile_cache_clear():
    with connection.cursor() as cur:
        cur.execute("TRUNCATE tiles_cache")


def planner_make(name: str, *, streets=(), password: str = "pw-plan-1", staff: bool = False):
    """A planner: the layers.change_parcel permission and the `streets` assigned to them (the
    communities of other streets are read-only to them)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    from layers.models import PlannerStreet

    user = get_user_model().objects.create_user(name, password=password, is_staff=staff)
    user.user_permissions.add(Permission.objects.get(codename="change_parcel"))
    PlannerStreet.objects.bulk_create(PlannerStreet(user=user, street=s) for s in streets)
    return get_user_model().objects.get(pk=user.pk)  # fresh: permissions are cached per object
