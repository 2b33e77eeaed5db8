"""`manage.py check_boundaries` and the /check/ page, on the tiny demo city with planted defects
(and once on the clean one): counts equal the rules' own, GeoJSON one feature per violation,
scoping by street and community, errors, the CI exit status, staff-only pages."""

import json
from collections import Counter
from io import StringIO

import pytest
import shapely
from django.core.management import CommandError, call_command

from layers.models import Community, Street
from layers.rules import RULES, boundary_violations
from tests.demo_city_support import city_loaded, plan_make

STRUCTURAL = ("outside_parent", "overlap", "gap", "split_building", "code_parent")


def run(*args) -> str:
    out = StringIO()
    call_command("check_boundaries", *args, stdout=out)
    return out.getvalue()


def table_counts(text: str) -> dict[str, int]:
    """The rule → count rows of the printed table."""
    counts = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] in RULES and parts[1].isdigit():
            counts[parts[0]] = int(parts[1])
    return counts


def features_valid(collection: dict) -> list:
    assert collection["type"] == "FeatureCollection" and "crs" not in collection
    geoms = []
    for f in collection["features"]:
        assert f["type"] == "Feature"
        assert set(f["properties"]) == {"rule", "level", "codes", "message", "area_m2"}
        g = shapely.from_geojson(json.dumps(f["geometry"]))
        assert g.is_valid and not g.is_empty, f["properties"]
        assert shapely.orient_polygons(g).equals_exact(g, 0), "RFC 7946 ring orientation"
        xmin, ymin, xmax, ymax = g.bounds
        assert 113 < xmin < xmax < 116 and 29 < ymin < ymax < 32  # lon/lat near Wuhan
        geoms.append(g)
    return geoms


class TestDefectCity:
    @pytest.fixture(scope="class", autouse=True)
    @classmethod
    def defect_city(cls, django_db_setup, django_db_blocker):
        with city_loaded(django_db_blocker, plan_make(scale="tiny", seed=1, with_defects=True)):
            yield

    @pytest.mark.django_db
    def test_counts_equal_the_rules_own_zeros_included(self):
        text = run()
        expected = Counter(v.rule for v in boundary_violations())
        assert table_counts(text) == {rule: expected.get(rule, 0) for rule in RULES}
        assert any(expected[r] for r in STRUCTURAL)  # the planted defects are there
        assert "the whole city" in text

    @pytest.mark.django_db
    def test_geojson_one_valid_feature_per_violation(self, tmp_path):
        out = tmp_path / "violations.geojson"
        run("--out", str(out))
        collection = json.loads(out.read_text(encoding="utf-8"))
        violations = boundary_violations()
        assert len(features_valid(collection)) == len(violations)
        got = sorted(
            (f["properties"]["rule"], *f["properties"]["codes"]) for f in collection["features"]
        )
        assert got == sorted((v.rule, *v.codes) for v in violations)

    @pytest.mark.django_db
    def test_street_and_community_scoping(self, tmp_path):
        every = boundary_violations()
        for option, model in (("--street", Street), ("--community", Community)):
            for code in model.objects.values_list("code", flat=True):
                out = tmp_path / f"{code}.geojson"
                text = run(option, code, "--out", str(out))
                features = json.loads(out.read_text(encoding="utf-8"))["features"]
                mine = sorted(tuple(f["properties"]["codes"]) for f in features)
                assert all(any(c.startswith(code) for c in codes) for codes in mine)
                assert mine == sorted(
                    v.codes for v in every if any(c.startswith(code) for c in v.codes)
                )
                assert sum(table_counts(text).values()) == len(features)
        # Defects sit in different communities: each community sees only part of them.
        per_community = [
            len(json.loads((tmp_path / f"{c}.geojson").read_text())["features"])
            for c in Community.objects.values_list("code", flat=True)
        ]
        assert all(n < len(every) for n in per_community)

    @pytest.mark.django_db
    def test_rule_choice(self):
        counts = table_counts(run("--rule", "overlap,gap", "--rule", "code_parent"))
        assert list(counts) == ["overlap", "gap", "code_parent"]

    @pytest.mark.django_db
    def test_unknown_street_community_or_rule(self):
        with pytest.raises(CommandError, match="no street with code 999999999"):
            run("--street", "999999999")
        with pytest.raises(CommandError, match="no community"):
            run("--community", "999999999999")
        with pytest.raises(CommandError, match="unknown rule nonsense") as exc:
            run("--rule", "nonsense")
        assert exc.value.returncode == 2

    @pytest.mark.django_db
    def test_fail_on_violations(self, tmp_path):
        out = tmp_path / "v.geojson"
        with pytest.raises(CommandError, match="boundary violations") as exc:
            run("--fail-on-violations", "--out", str(out))
        assert exc.value.returncode == 1
        assert json.loads(out.read_text())["features"]  # written before failing
        run("--rule", "overlap")  # no flag: violations are reported, not fatal

    @pytest.mark.django_db
    def test_page_requires_staff(self, client, django_user_model):
        for url in ("/check/", "/check/violations.geojson"):
            r = client.get(url)
            assert r.status_code == 302 and "/admin/login/" in r["Location"]
        user = django_user_model.objects.create_user("clerk", password="x")
        client.force_login(user)
        assert client.get("/check/").status_code == 302

    @pytest.mark.django_db
    def test_page_shows_counts_and_violations(self, admin_client):
        violations = boundary_violations()
        counts = Counter(v.rule for v in violations)
        r = admin_client.get("/check/", HTTP_ACCEPT_LANGUAGE="en")
        assert r.status_code == 200
        html = r.content.decode()
        for card in r.context["cards"]:
            assert card["count"] == counts.get(card["key"], 0)
        assert [c["key"] for c in r.context["cards"]] == list(RULES)
        assert len(r.context["rows"]) == len(violations)
        first = r.context["rows"][0]
        assert first["map_hash"].startswith("#") and len(first["map_hash"].split("/")) == 3
        assert f'href="/{first["map_hash"]}"' in html
        assert violations[0].codes[0] in html and 'class="check-card' in html

    @pytest.mark.django_db
    def test_page_filters_by_street_and_rejects_unknown(self, admin_client):
        street = Street.objects.first()
        r = admin_client.get("/check/", {"street": street.code})
        assert r.status_code == 200 and r.context["street"] == street.code
        assert all(
            any(c.startswith(street.code) for c in row["codes"]) for row in r.context["rows"]
        )
        assert admin_client.get("/check/", {"street": "999999999"}).status_code == 404

    @pytest.mark.django_db
    def test_geojson_download(self, admin_client):
        r = admin_client.get("/check/violations.geojson")
        assert r.status_code == 200
        assert r["Content-Type"] == "application/geo+json"
        assert "attachment" in r["Content-Disposition"]
        assert len(features_valid(json.loads(r.content))) == len(boundary_violations())

    @pytest.mark.django_db
    def test_page_in_chinese(self, admin_client):
        admin_client.cookies.load({"django_language": "zh-hans"})
        html = admin_client.get("/check/").content.decode()
        assert "边界检查" in html


class TestCleanCity:
    @pytest.fixture(scope="class", autouse=True)
    @classmethod
    def clean_city(cls, django_db_setup, django_db_blocker):
        with city_loaded(django_db_blocker, plan_make(scale="tiny", seed=1)):
            yield

    @pytest.mark.django_db
    def test_fail_on_violations_passes_on_the_clean_city(self):
        text = run("--fail-on-violations", *(x for r in STRUCTURAL for x in ("--rule", r)))
        assert set(table_counts(text).values()) == {0}
        # Load bands are a planning target the generated city need not meet everywhere.
        load = [v for v in boundary_violations(rules=("load_band",))]
        if not load:
            run("--fail-on-violations")
