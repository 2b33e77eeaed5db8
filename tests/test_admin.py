"""The admin: every changelist lists the rows it should (all of them, a search's or a filter's
and no others), change forms show the row's own values, big tables never become a <select>,
derived fields stay read-only, map widgets load nothing from the internet, and the outlines
behind them."""

import json
import re
from dataclasses import fields
from html.parser import HTMLParser
from urllib.parse import parse_qsl

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets, quote
from django.contrib.auth import get_user_model
from django.contrib.gis.db.models import GeometryField
from django.contrib.gis.geos import GEOSGeometry
from django.core.exceptions import FieldDoesNotExist
from django.db import transaction
from django.test import override_settings
from django.urls import reverse
from django.utils.html import escape
from pghistory.models import Events

from geo.srid import WEB_MERCATOR_SRID
from layers.admin import DistrictFilter, LoadStatusFilter, MissingOrganisationFilter
from layers.models import Grid
from layers.widgets import OfflineMapWidget
from tests.admin_world import world_make
from tests.factories import box, multi

pytestmark = pytest.mark.django_db

REGISTRY = sorted(admin.site._registry.items(), key=lambda kv: kv[0]._meta.label)
LAYER_ADMINS = [(m, ma) for m, ma in REGISTRY if m._meta.app_label == "layers"]
LAYER_ADMIN_PARAMS = [pytest.param(m, ma, id=m._meta.label) for m, ma in LAYER_ADMINS]
GEOMETRY_MODELS = [
    m
    for m, _ in LAYER_ADMINS
    if any(isinstance(f, GeometryField) and f.editable for f in m._meta.get_fields())
]


def label(model) -> str:
    return model._meta.label


def admin_url(model, action: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{action}", args=args)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once for the module in a transaction rolled back at its end, as TestCase's
    setUpTestData does: each test's own transaction is a savepoint inside it."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield world_make()
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    # The admin user is created per test; the production hasher costs ~0.3 s a time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_every_layer_model_is_in_the_admin():
    layer_models = {
        m for m in apps.get_app_config("layers").get_models() if not m._meta.label.endswith("Event")
    }
    assert layer_models <= set(admin.site._registry), layer_models - set(admin.site._registry)


def listed(html: str, model) -> set[str]:
    """The primary keys of the rows a changelist page links to (each row's first column)."""
    prefix = re.escape(admin_url(model, "changelist"))
    return set(re.findall(prefix + r'([^/"?]+)/change/', html))


def pks(rows) -> set[str]:
    return {quote(str(row.pk)) for row in rows}


def path_value(obj, path: str):
    """obj's value at a lookup path (`community__code`); None past an empty relation."""
    for name in path.split("__"):
        obj = getattr(obj, name, None)
    return obj


@pytest.mark.parametrize("model", [m for m, _ in REGISTRY], ids=label)
def test_changelist_lists_every_row_of_the_world(admin_client, world, model):
    response = admin_client.get(admin_url(model, "changelist"))
    assert response.status_code == 200
    html = response.content.decode()
    if model is Events:  # a proxy over every event table: its rows are the world's changes
        assert response.context["cl"].result_count >= len(fields(world))
        assert f'<td class="field-pgh_obj_id">{world.grid.pk}</td>' in html
        return
    rows = model._default_manager.all()
    # The superuser sees every row, once (an annotating get_queryset must not repeat one).
    assert response.context["cl"].result_count == rows.count()
    assert listed(html, model) == pks(rows)


def expected_rows(model, spec, params: dict) -> set[str]:
    """The rows a filter choice should list, worked out without the admin's filter code."""
    rows = list(model._default_manager.all())
    if not params:
        return pks(rows)
    name, value = next(iter(params.items()))  # the custom filters take one parameter
    if isinstance(spec, DistrictFilter):  # a code names its whole ancestry
        return pks(r for r in rows if str(path_value(r, spec.code_field)).startswith(value))
    if isinstance(spec, LoadStatusFilter):  # the model's own classification
        return pks(r for r in rows if r.load_status == value)
    if isinstance(spec, MissingOrganisationFilter):
        return pks(r for r in rows if getattr(r, value) == "")
    if isinstance(spec, admin.EmptyFieldListFilter):
        empty = value == "1"
        field = name.removesuffix("__isempty")
        return pks(r for r in rows if (path_value(r, field) in (None, "")) == empty)
    return pks(model._default_manager.filter(**params))


@pytest.mark.parametrize(("model", "model_admin"), LAYER_ADMIN_PARAMS)
def test_search_and_filters_list_the_matching_rows(admin_client, rf, world, model, model_admin):
    url = admin_url(model, "changelist")
    rows = list(model._default_manager.order_by("pk"))
    if model_admin.search_fields:
        # The first row by the first search field's value: listed. Nonsense: nothing listed.
        path = model_admin.search_fields[0].lstrip("^=@")
        term = str(path_value(rows[0], path))
        html = admin_client.get(url, {"q": term}).content.decode()
        assert quote(str(rows[0].pk)) in listed(html, model), (path, term)
        paths = [f.lstrip("^=@") for f in model_admin.search_fields]
        found = [r for r in rows if any(term in str(path_value(r, p)) for p in paths)]
        assert listed(html, model) == pks(found), (path, term)
        assert listed(admin_client.get(url, {"q": "无此名称zz"}).content.decode(), model) == set()
    request = rf.get(url)
    request.user = get_user_model().objects.get(username="admin")
    changelist = model_admin.get_changelist_instance(request)
    for spec in changelist.filter_specs:
        for choice in spec.choices(changelist):
            query = choice["query_string"]
            response = admin_client.get(url + query)
            assert response.status_code == 200, (spec.title, query)
            html = response.content.decode()
            assert "errornote" not in html
            params = dict(parse_qsl(query.lstrip("?")))
            assert listed(html, model) == expected_rows(model, spec, params), (spec.title, query)


def form_names(html: str) -> set[str]:
    return set(re.findall(r'<(?:input|select|textarea)[^>]* name="([^"]+)"', html))


def shown_values(model_admin, request, obj) -> dict[str, tuple[str, ...]]:
    """Field → the HTML that shows the object's value on its change page (any one will do): a
    text as itself, a number as an input's value or a read-only cell (a bare "1" proves
    nothing), a relation as the related row's name."""
    out = {}
    for name in flatten_fieldsets(model_admin.get_fieldsets(request, obj)):
        try:
            field = model_admin.model._meta.get_field(name)
        except FieldDoesNotExist:
            continue  # a computed display (history, load)
        value = getattr(obj, field.attname, None)
        if value in (None, "") or field.choices or isinstance(field, GeometryField):
            continue
        if field.is_relation:
            out[name] = (escape(str(getattr(obj, name))),)
        elif isinstance(value, str):
            out[name] = (escape(value),)
        elif isinstance(value, int) and not isinstance(value, bool):
            out[name] = (f'value="{value}"', f'<div class="readonly">{value}</div>')
    return out


@pytest.mark.parametrize("model", [m for m, _ in LAYER_ADMINS], ids=label)
def test_add_and_change_pages_show_the_fields_and_the_objects_values(
    admin_client, rf, world, model
):
    model_admin = admin.site._registry[model]
    request = rf.get("/")
    request.user = get_user_model().objects.get(username="admin")
    can_add = model_admin.has_add_permission(request)
    # Read-only history (layout revisions) refuses additions; everything else has an add page.
    add = admin_client.get(admin_url(model, "add"))
    assert add.status_code == (200 if can_add else 403)
    if can_add:
        editable = set(add.context["adminform"].form.fields)
        assert editable and editable <= form_names(add.content.decode()), label(model)
    obj = model._default_manager.order_by("pk").first()
    assert obj is not None, f"admin_world makes no {label(model)}"
    response = admin_client.get(admin_url(model, "change", obj.pk))
    assert response.status_code == 200
    html = response.content.decode()
    values = shown_values(model_admin, request, obj)
    assert values, f"{label(model)}'s form shows none of its values"
    for name, shown in values.items():
        assert any(h in html for h in shown), f"{label(model)}.{name}: none of {shown} on its page"
    # Someone else's row is not on this row's page.
    other = model._default_manager.exclude(pk=obj.pk).order_by("pk").first()
    if other is not None and str(other) != str(obj):
        assert f"<h2>{escape(str(other))}</h2>" not in html
    assert f"<h2>{escape(str(obj))}</h2>" in html


def test_history_link_opens_the_rows_events(admin_client, world):
    html = admin_client.get(admin_url(Grid, "change", world.grid.pk)).content.decode()
    href = re.search(r'href="([^"]*pghistory/events/\?obj=[^"]+)"', html).group(1)
    response = admin_client.get(href.replace("&amp;", "&"))
    assert response.status_code == 200
    rows = re.findall(
        r'<td class="field-pgh_obj_model">([^<]*)</td>'
        r'<td class="field-pgh_obj_id">([^<]*)</td>',
        response.content.decode(),
    )
    assert rows and set(rows) == {("layers.Grid", str(world.grid.pk))}


def form_relations(form_model, *, parent=None):
    """Names of the relation fields a model form shows (an inline's link to its parent aside)."""
    for field in form_model._meta.get_fields():
        if not (field.is_relation and field.concrete and field.editable) or field.auto_created:
            continue
        if field.many_to_many and not field.remote_field.through._meta.auto_created:
            continue  # edited through its own model (Pairing), not in this form
        if parent is not None and field.related_model is parent:
            continue
        yield field.name


@pytest.mark.parametrize(("model", "model_admin"), LAYER_ADMIN_PARAMS)
def test_no_foreign_key_renders_as_a_select_of_every_row(model, model_admin):
    """With 150,000 buildings a plain <select> is megabytes: every relation is autocompleted."""
    forms = [(model, model_admin, None), *[(i.model, i, model) for i in model_admin.inlines]]
    for form_model, options, parent in forms:
        searched = set(options.autocomplete_fields) | set(options.raw_id_fields)
        for name in form_relations(form_model, parent=parent):
            assert name in searched, f"{label(form_model)}.{name} renders as a plain <select>"


def test_derived_unit_polygon_is_read_only_unless_freehand(admin_client, world):
    derived = admin_client.get(admin_url(Grid, "change", world.grid.pk)).content.decode()
    freehand = admin_client.get(admin_url(Grid, "change", world.freehand.pk)).content.decode()
    textarea = r'<textarea id="id_geom"[^>]*>'
    assert " disabled" in re.search(textarea, derived).group(0)
    assert '"readonly": true' in derived
    assert " disabled" not in re.search(textarea, freehand).group(0)
    assert '"readonly": false' in freehand
    # Derived totals are shown, never as inputs.
    assert 'name="households"' not in derived and 'name="building_count"' not in derived
    # Households of the grid's two buildings in parcel P1 (120 + 80).
    assert re.search(r'field-households.*?<div class="readonly">200</div>', derived, re.S)


def test_posting_a_derived_grid_keeps_its_derived_polygon(admin_client, world):
    before = Grid.objects.get(pk=world.grid.pk)
    response = admin_client.post(
        admin_url(Grid, "change", world.grid.pk),
        {
            "code": before.code,
            "name": "改名网格",
            "community": before.community_id,
            "geom_source": "parcels",
            "geom": '{"type": "MultiPolygon", "coordinates": [[[[0, 0], [1, 0], [1, 1], [0, 0]]]]}',
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    after = Grid.objects.get(pk=world.grid.pk)
    assert after.name == "改名网格"
    assert after.geom.equals(before.geom) and after.households == 200


def drawn(*extent) -> str:
    """A rectangle as the map widget posts it: GeoJSON in the map's EPSG:3857."""
    return multi(box(*extent)).transform(WEB_MERCATOR_SRID, clone=True).json


def test_adding_a_parcel_derived_grid_with_a_drawing_is_refused(admin_client, world):
    response = admin_client.post(
        admin_url(Grid, "add"),
        {
            "code": world.community.code + "009",
            "name": "新网格",
            "community": world.community.pk,
            "geom_source": "parcels",
            "geom": drawn(250, 50, 300, 100),
        },
    )
    assert response.status_code == 200
    assert "takes its polygon from its parcels" in response.content.decode()
    assert not Grid.objects.filter(code=world.community.code + "009").exists()


def test_adding_a_freehand_grid_keeps_its_drawing(admin_client, world):
    response = admin_client.post(
        admin_url(Grid, "add"),
        {
            "code": world.community.code + "009",
            "name": "新网格",
            "community": world.community.pk,
            "geom_source": "freehand",
            "geom": drawn(250, 50, 300, 100),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    grid = Grid.objects.get(code=world.community.code + "009")
    assert grid.geom.equals_exact(multi(box(250, 50, 300, 100)), tolerance=1e-7)


# --- no internet ---------------------------------------------------------------------------------


class AssetParser(HTMLParser):
    """Collects the URLs a page makes the browser fetch: scripts, stylesheets, images, frames."""

    FETCHED = {
        ("script", "src"),
        ("link", "href"),
        ("img", "src"),
        ("iframe", "src"),
        ("source", "src"),
        ("embed", "src"),
    }

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.urls += [v for k, v in attrs if (tag, k) in self.FETCHED and v]
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts.append(data)


EXTERNAL = re.compile(r"(https?:)?//[a-z0-9.-]+", re.IGNORECASE)


@pytest.mark.parametrize("model", GEOMETRY_MODELS, ids=label)
def test_geometry_pages_reference_only_local_assets(admin_client, world, model):
    obj = model._default_manager.order_by("pk").first()
    for url in (admin_url(model, "add"), admin_url(model, "change", obj.pk)):
        html = admin_client.get(url).content.decode()
        assert "ga-map-options" in html, f"{url} has no offline map widget"
        parser = AssetParser()
        parser.feed(html)
        assert "/static/vendor/ol/ol.js" in parser.urls
        assert "/static/geo/offline_map.js" in parser.urls
        for asset in parser.urls:
            # Same origin only: /static/... and the admin's own /admin/jsi18n/.
            assert asset.startswith("/") and not asset.startswith("//"), f"{url} loads {asset}"
        for script in parser.scripts:
            found = EXTERNAL.search(script)
            assert not found, f"{url} has an inline script naming {found.group(0)}"
        # XML namespaces (the admin's inline SVG icons) are names, never fetched.
        outside_namespaces = re.sub(r'xmlns(:\w+)?="[^"]*"', "", html)
        assert not re.search(r"https?://", outside_namespaces), f"{url} names an absolute URL"


def test_widget_media_is_local():
    media = OfflineMapWidget().media
    assets = [*media._js, *[p for paths in media._css.values() for p in paths]]
    assert assets and all("//" not in a for a in assets), assets


# --- the outlines behind the map -----------------------------------------------------------------

OUTLINES = "/admin-context/outlines.geojson"
AROUND_WORLD = {"bbox": "114.28,30.57,114.32,30.61", "resolution": "1"}


def test_outlines_are_staff_only(client, world, django_user_model):
    response = client.get(OUTLINES, AROUND_WORLD)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    clerk = django_user_model.objects.create_user(username="clerk", password="pw-clerk-123")
    client.force_login(clerk)
    response = client.get(OUTLINES, AROUND_WORLD)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_outlines_are_geojson_of_streets_communities_and_grids(admin_client, world):
    response = admin_client.get(OUTLINES, AROUND_WORLD)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    collection = json.loads(response.content)
    assert collection["type"] == "FeatureCollection" and collection["truncated"] is False
    ids = {f["id"] for f in collection["features"]}
    c = world.community
    assert {
        f"street:{c.street.code}",
        f"community:{c.code}",
        f"grid:{world.grid.code}",
        f"grid:{world.freehand.code}",
    } <= ids
    for feature in collection["features"]:
        assert feature["type"] == "Feature"
        assert set(feature["properties"]) == {"kind", "code", "name"}
        geom = GEOSGeometry(json.dumps(feature["geometry"]))
        assert geom.geom_type in {"Polygon", "MultiPolygon"} and geom.valid
        # RFC 7946: longitude, latitude in EPSG:4326.
        xmin, ymin, xmax, ymax = geom.extent
        assert 114.2 < xmin < xmax < 114.4 and 30.5 < ymin < ymax < 30.7


def test_outlines_leave_out_fine_layers_when_zoomed_out(admin_client, world):
    collection = admin_client.get(OUTLINES, {**AROUND_WORLD, "resolution": "300"}).json()
    assert {f["properties"]["kind"] for f in collection["features"]} == {"street"}


def test_outlines_outside_the_city_are_empty(admin_client, world):
    collection = admin_client.get(OUTLINES, {"bbox": "100,20,100.1,20.1"}).json()
    assert collection["features"] == []


@override_settings(GRIDATLAS_ADMIN_OUTLINES_MAX_FEATURES=2)
def test_outlines_are_limited_in_number(admin_client, world):
    collection = admin_client.get(OUTLINES, AROUND_WORLD).json()
    assert len(collection["features"]) == 2 and collection["truncated"] is True


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"bbox": "1,2,3"},
        {"bbox": "a,b,c,d"},
        {"bbox": "114.3,30.6,114.2,30.7"},
        {"bbox": "114.2,30.5,114.3,95"},
        {"bbox": "114.2,30.5,114.3,30.6", "resolution": "-1"},
        {"bbox": "114.2,30.5,114.3,30.6", "resolution": "nan"},
    ],
)
def test_outlines_reject_bad_parameters(admin_client, params):
    response = admin_client.get(OUTLINES, params)
    assert response.status_code == 400 and response.json()["error"]
