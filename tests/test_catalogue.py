"""The layer catalogue (layers/catalogue.py) is complete for each layer, and the old public name
`xiaoqu` of the compounds layer still answers, with a permanent redirect to `compounds`."""

import pytest
from django.utils import translation

from geo.codes import LEVELS
from layers.catalogue import CATALOGUE, COLUMNS, LAYERS, PICK_ORDER, RENAMED, TILE_LAYERS
from layers.models import Xiaoqu
from tiles.registry import LAYERS as TILE_REGISTRY
from tiles.tilejson import style_layers

CJK = range(0x4E00, 0xA000)


def test_one_key_per_layer_and_old_names_are_not_keys():
    assert len(LAYERS) == len(CATALOGUE)
    assert not set(RENAMED) & set(LAYERS)
    assert set(RENAMED.values()) <= set(LAYERS)


@pytest.mark.parametrize("layer", CATALOGUE, ids=lambda la: la.key)
def test_every_layer_has_its_titles_in_both_languages(layer):
    assert layer.title_zh and all(ord(ch) in CJK for ch in layer.title_zh), layer.title_zh
    with translation.override("en"):
        english = str(layer.title_en)
    assert english.isascii() and english[0].isupper(), english
    with translation.override("zh-hans"):
        for title in (layer.title_en, layer.plural):
            assert not str(title).isascii(), f"{title!r} has no Chinese in django.po"


@pytest.mark.parametrize("layer", TILE_LAYERS.values(), ids=lambda la: la.key)
def test_every_tile_layer_has_its_sql_file_and_a_style(layer):
    sql = TILE_REGISTRY[layer.key].sql_path
    assert sql.is_file(), f"{layer.key}: no {sql}"
    text = sql.read_text(encoding="utf-8")
    assert f"ST_AsMVT(t, '{layer.key}'" in text, "the MVT layer is named by the key"
    for name in layer.tiles.params:
        assert f"%({name})s" in text, f"{layer.key}: {name} is not a parameter of its SQL"
    ids = [s["id"] for s in style_layers() if s["source-layer"] == layer.key]
    assert ids and ids == [f"{layer.key}-{part.name}" for part in layer.style], ids


def test_file_layers_have_columns_scope_and_a_known_code_level():
    for key, spec in COLUMNS.items():
        layer = LAYERS[key]
        assert (spec.layer, spec.model) == (key, layer.model._meta.label)
        assert layer.scope, f"{key}: no scope path for scoped exports"
        assert layer.code_level is None or layer.code_level in LEVELS
        assert not layer.boundary_rules or layer.code_level, key
    assert [k for k, la in LAYERS.items() if la.personal] == ["workers"]


def test_pick_order_is_the_clickable_layers_with_a_card_topmost_points_first():
    assert PICK_ORDER[:2] == ["stations", "units"] and PICK_ORDER[-1] == "streets"
    assert all(LAYERS[k].card and LAYERS[k].tiles for k in PICK_ORDER)


@pytest.mark.django_db
def test_old_xiaoqu_urls_redirect_permanently(client, tiny_city):
    x = Xiaoqu.objects.order_by("code").first()
    for old, new in [
        ("/tiles/xiaoqu/14/13383/6850.mvt?v=abc", "/tiles/compounds/14/13383/6850.mvt?v=abc"),
        ("/tiles/xiaoqu.json", "/tiles/compounds.json"),
        (f"/api/features/xiaoqu/{x.pk}", f"/api/features/compounds/{x.pk}"),
    ]:
        r = client.get(old)
        assert r.status_code == 301 and r["Location"] == new, (old, r.status_code)
    card = client.get(f"/api/features/xiaoqu/{x.pk}", follow=True).json()
    assert (card["kind"], card["code"]) == ("compounds", x.code)
    doc = client.get("/tiles/xiaoqu.json", follow=True).json()
    assert [v["id"] for v in doc["vector_layers"]] == ["compounds"]
    assert client.post("/tiles/xiaoqu.json").status_code == 405


@pytest.mark.django_db
def test_the_map_pages_download_list_is_the_catalogues_file_layers(client):
    """Every file layer of the catalogue, in its order; workers only for who may read them."""
    import re

    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    def offered(response) -> list[str]:
        select = re.search(
            r'<select id="download-layer".*?</select>', response.content.decode(), re.S
        ).group(0)
        return re.findall(r'<option value="([^"]+)"', select)

    files = [k for k, layer in LAYERS.items() if layer.columns is not None]
    personal = [k for k in files if LAYERS[k].personal]
    assert personal == ["workers"] and "grids" in files
    anonymous = offered(client.get("/"))
    assert anonymous == [k for k in files if k not in personal]
    reader = get_user_model().objects.create_user("reader")
    reader.user_permissions.add(Permission.objects.get(codename="view_worker"))
    client.force_login(reader)
    assert offered(client.get("/")) == files
