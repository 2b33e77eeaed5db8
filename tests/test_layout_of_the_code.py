"""The code's layout (issue 14, docs/architecture.md): `layers/` holds one package per capability,
each with its views and its own urls.py; no view module imports another; and the move into
packages changed no URL (every name reverses to the path it had before)."""

import ast
import uuid
from pathlib import Path

import pytest
from django.urls import resolve, reverse

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ROOT / "layers"
CAPABILITIES = ("map", "lookup", "editing", "checks", "analysis", "io", "ogc")

CODE = "420102001001"
JOB = uuid.UUID("12345678-1234-5678-1234-567812345678")
# Every URL name of the layers' capabilities with the path it reversed to before the move
# (taken from the URLconf at cabee05, when the routes lived in layers/*_urls.py).
URLS_BEFORE = [
    ("admin_outlines", {}, "/admin-context/outlines.geojson"),
    ("api-search", {}, "/api/search"),
    ("api-feature", {"kind": "grids", "feature_id": 7}, "/api/features/grids/7"),
    ("api-divisions", {}, "/api/divisions"),
    ("api-export", {"layer": "grids", "fmt": "gpkg"}, "/api/export/grids.gpkg"),
    ("api-lookup", {}, "/api/lookup"),
    ("api-lookup-batch", {}, "/api/lookup/batch"),
    ("api-job", {"job_id": JOB}, f"/api/jobs/{JOB}"),
    ("api-job-result", {"job_id": JOB}, f"/api/jobs/{JOB}/result"),
    ("lookup", {}, "/lookup/"),
    ("edit", {}, "/edit/"),
    ("api-edit-editor", {"code": CODE}, f"/api/edit/communities/{CODE}/editor.json"),
    ("api-edit-layout", {"code": CODE}, f"/api/edit/communities/{CODE}/layout"),
    ("api-edit-revisions", {"code": CODE}, f"/api/edit/communities/{CODE}/revisions"),
    ("api-edit-commit", {"code": CODE}, f"/api/edit/communities/{CODE}/commit"),
    ("api-edit-cut", {"code": CODE}, f"/api/edit/communities/{CODE}/cut"),
    ("api-edit-draft", {"code": CODE}, f"/api/edit/communities/{CODE}/draft"),
    ("api-edit-publish", {"code": CODE}, f"/api/edit/communities/{CODE}/publish"),
    (
        "api-edit-diff",
        {"code": CODE, "a": 2, "b": 5},
        f"/api/edit/communities/{CODE}/revisions/2/diff/5",
    ),
    ("api-edit-revert", {"code": CODE, "n": 3}, f"/api/edit/communities/{CODE}/revisions/3/revert"),
    ("api-edit-cancel", {"code": CODE, "n": 3}, f"/api/edit/communities/{CODE}/revisions/3/cancel"),
    ("api-edit-propose", {"code": CODE}, f"/api/edit/communities/{CODE}/propose"),
    ("api-edit-rebalance", {"code": CODE}, f"/api/edit/communities/{CODE}/rebalance"),
    (
        "api-edit-assign-unassigned",
        {"code": CODE},
        f"/api/edit/communities/{CODE}/assign-unassigned",
    ),
    ("check", {}, "/check/"),
    ("check-geojson", {}, "/check/violations.geojson"),
    ("dashboard", {}, "/dashboard/"),
    ("dashboard-report-map", {}, "/dashboard/report-map.html"),
    ("api-analysis-coverage", {}, "/api/analysis/coverage"),
    ("api-analysis-coverage-uncovered", {}, "/api/analysis/coverage/uncovered"),
    ("api-analysis-organisation", {}, "/api/analysis/organisation"),
    ("api-analysis-load", {}, "/api/analysis/load"),
    ("api-analysis-pairing", {}, "/api/analysis/pairing"),
    ("api-analysis-headline", {}, "/api/analysis/headline"),
    ("api-analysis-siting", {}, "/api/analysis/siting"),
    ("api-report-xlsx", {}, "/api/analysis/report.xlsx"),
    ("api-heatmap-png", {"kind": "load"}, "/api/analysis/heatmap/load.png"),
    ("api-heatmap-json", {"kind": "load"}, "/api/analysis/heatmap/load.json"),
    ("api-heatmap-tif", {"kind": "load"}, "/api/analysis/heatmap/load.tif"),
    ("import", {}, "/import/"),
    ("ogc-landing", {}, "/ogc"),
    ("ogc-landing-slash", {}, "/ogc/"),
    ("ogc-conformance", {}, "/ogc/conformance"),
    ("ogc-openapi", {}, "/ogc/openapi"),
    ("ogc-collections", {}, "/ogc/collections"),
    ("ogc-collection", {"collection_id": "grids"}, "/ogc/collections/grids"),
    ("ogc-items", {"collection_id": "grids"}, "/ogc/collections/grids/items"),
    ("ogc-item", {"collection_id": "grids", "feature_id": "9"}, "/ogc/collections/grids/items/9"),
]


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def _module_path(name: str) -> Path | None:
    base = ROOT.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def _imported_modules(path: Path) -> set[str]:
    """Every module of the project a file imports: `import a.b`, `from a.b import c` (a.b, and
    a.b.c when c is a module), relative imports resolved against the file's package."""
    package = _module_name(path).rsplit(".", 1)[0]
    if path.name == "__init__.py":
        package = _module_name(path.parent)
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {name for name in found if _module_path(name) is not None}


def _view_modules() -> set[str]:
    """The views of layers/: its views*.py files and every module its urls.py files take views
    from (so `from layers.editing import page` makes layers.editing.page a view module)."""
    views = {_module_name(p) for p in LAYERS.rglob("views*.py")}
    views |= {_module_name(p) for p in (LAYERS / "analysis" / "views").glob("*.py")}
    for urls in LAYERS.rglob("urls.py"):
        for name in _imported_modules(urls):
            path = _module_path(name)
            if name.startswith("layers.") and path is not None and path.name != "__init__.py":
                views.add(name)
    return views


def test_no_views_or_urls_module_sits_at_the_top_of_layers():
    loose = sorted(p.name for p in LAYERS.glob("*.py") if p.stem.endswith(("_views", "_urls")))
    assert loose == [], f"move these into their capability's package: {loose}"
    assert not (LAYERS / "urls.py").exists()


@pytest.mark.parametrize("capability", CAPABILITIES)
def test_each_capability_is_a_package_with_a_docstring_and_its_urls(capability):
    package = LAYERS / capability
    init = ast.parse((package / "__init__.py").read_text(encoding="utf-8"))
    assert ast.get_docstring(init), f"layers/{capability}/__init__.py has no docstring"
    assert (package / "urls.py").exists()
    included = (ROOT / "geo" / "urls.py").read_text(encoding="utf-8")
    assert f'include("layers.{capability}.urls")' in included


def test_the_view_modules_are_found():
    # The scan below means nothing if it finds no views; these are some it must find.
    views = _view_modules()
    assert {
        "layers.map.views",
        "layers.lookup.views",
        "layers.editing.page",
        "layers.editing.layout_api",
        "layers.analysis.views.reports",
        "layers.io.import_page",
        "layers.ogc.views",
    } <= views


def _views_importing_views() -> dict[str, list[str]]:
    views = _view_modules()
    offences = {
        view: sorted((_imported_modules(_module_path(view)) & views) - {view})
        for view in sorted(views)
    }
    return {view: imported for view, imported in offences.items() if imported}


def test_no_view_module_imports_another():
    offences = _views_importing_views()
    assert offences == {}, "move what they share to its selector, service, rule or permission"


def test_the_check_catches_a_planted_view_importing_a_view(tmp_path, monkeypatch):
    files = {
        "layers/__init__.py": "",
        "layers/map/__init__.py": "",
        "layers/map/urls.py": "from layers.map import views\n",
        "layers/map/views.py": "from layers.lookup import views as lookup\n",
        "layers/lookup/__init__.py": "",
        "layers/lookup/urls.py": "from . import views\n",
        "layers/lookup/views.py": "import json\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    monkeypatch.setitem(globals(), "ROOT", tmp_path)
    monkeypatch.setitem(globals(), "LAYERS", tmp_path / "layers")
    assert _views_importing_views() == {"layers.map.views": ["layers.lookup.views"]}


def test_the_demo_city_generator_is_a_fixture():
    assert not (LAYERS / "services" / "demo_city").exists()
    assert (ROOT / "fixtures" / "demo_city" / "__init__.py").exists()
    command = (LAYERS / "management" / "commands" / "build_demo_city.py").read_text("utf-8")
    assert "from fixtures.demo_city import" in command


@pytest.mark.parametrize(("name", "kwargs", "path"), URLS_BEFORE, ids=[u[0] for u in URLS_BEFORE])
def test_every_url_name_reverses_to_the_path_it_had(name, kwargs, path):
    assert reverse(name, kwargs=kwargs) == path
    assert resolve(path).url_name == name
