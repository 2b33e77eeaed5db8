"""The import graph has no cycle: none between the top-level packages (geo, layers, tiles) and
none between the modules of geo. Read from the source with `ast`, not by importing it, so a
lazy import inside a function counts too (it hides a cycle, it does not break one).

geo.urls is the project's root URLconf: it wires every app in, so it stands above them all
rather than inside geo's base (errors, http, params, sql… which the apps build on)."""

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("geo", "layers", "tiles")
WIRING = {"geo.urls"}  # the root URLconf: it imports the apps, nothing imports it


def module_files(root: Path, packages) -> dict[str, Path]:
    """Dotted module name → its file, for every .py file of the packages."""
    found = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> list[tuple[str, int]]:
    """The modules of `modules` that `name` imports, each with the line of the import."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = {}  # (target, line) in order, once each: `from x import a, b` is one edge
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            # `from geo import http` imports the module geo.http; `from geo.x import f`, geo.x.
            targets = [
                f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names
            ]
        else:
            continue
        for target in targets:
            while target and target not in modules:  # `import a.b.c` of a name in a.b
                target = target.rpartition(".")[0]
            if target and target != name:
                out[target, node.lineno] = None
    return list(out)


def cycles(edges: dict[str, dict]) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan), each sorted."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def graphs(root: Path, packages, wiring=frozenset()):
    """(package graph, module graph of each package); an edge maps to the imports that make it."""
    modules = module_files(root, packages)
    by_package = defaultdict(dict)
    by_module = defaultdict(dict)
    for name, path in modules.items():
        for target, line in imports_of(name, path, modules):
            where = f"{path.relative_to(root)}:{line} imports {target}"
            source_pkg, target_pkg = name.partition(".")[0], target.partition(".")[0]
            if source_pkg == target_pkg:
                by_module[source_pkg].setdefault(name, {}).setdefault(target, []).append(where)
            elif name not in wiring:
                by_package[source_pkg].setdefault(target_pkg, []).append(where)
    return by_package, by_module


def explained(components, edges) -> str:
    lines = []
    for component in components:
        lines.append(" ↔ ".join(component) + ":")
        lines += [
            f"    {where}"
            for source in component
            for target, wheres in sorted(edges.get(source, {}).items())
            if target in component
            for where in wheres
        ]
    return "\n".join(lines)


def test_the_top_level_packages_import_each_other_one_way_only():
    by_package, _ = graphs(ROOT, PACKAGES, WIRING)
    found = cycles(by_package)
    assert found == [], "import cycles between packages:\n" + explained(found, by_package)


def test_no_module_of_geo_imports_itself_back():
    _, by_module = graphs(ROOT, PACKAGES, WIRING)
    found = cycles(by_module["geo"])
    assert found == [], "import cycles in geo:\n" + explained(found, by_module["geo"])


def test_the_check_finds_a_cycle_however_it_is_written(tmp_path):
    # Three ways to import: a module reference, a lazy import, a relative import.
    files = {
        "a/__init__.py": "",
        "a/x.py": "from b import y\n",
        "a/z.py": "def f():\n    from . import x\n",
        "a/w.py": "import a.z\n",
        "b/__init__.py": "",
        "b/y.py": "def g():\n    from a.z import f\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    by_package, by_module = graphs(tmp_path, ("a", "b"))
    assert cycles(by_package) == [["a", "b"]]
    assert "a/x.py:1 imports b.y" in explained(cycles(by_package), by_package)
    assert cycles(by_module["a"]) == []
    (tmp_path / "a/x.py").write_text("from .w import z\n", encoding="utf-8")
    _, by_module = graphs(tmp_path, ("a", "b"))
    assert cycles(by_module["a"]) == [["a.w", "a.x", "a.z"]]
    # The wiring module may import anything: a/x.py importing b is no cycle when x is wiring.
    (tmp_path / "a/x.py").write_text("from b import y\n", encoding="utf-8")
    by_package, _ = graphs(tmp_path, ("a", "b"), wiring={"a.x"})
    assert cycles(by_package) == []
