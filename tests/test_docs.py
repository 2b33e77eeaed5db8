"""The project's documents stand on their own: every relative link in README.md, docs/ and
bench/README.md reaches a file (and a heading, when it names one), and no code or document cites
the team's reference outside the repository (../shared) except as a data credit."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = ["README.md", "bench/README.md", *sorted(p.name for p in (ROOT / "docs").glob("*.md"))]
# Not the project's files: installed, generated, vendored or runtime state (.gitignore).
SKIPPED_DIRS = {
    ".git",
    ".venv",
    "node_modules",
    "staticfiles",
    "var",
    "test-artifacts",
    "vendor",
    "__pycache__",
    ".ruff_cache",
    ".pytest_cache",
    ".hypothesis",
    "gridatlas.egg-info",
}
SCANNED_SUFFIXES = {".py", ".js", ".md", ".sh", ".sql", ".html", ".css", ".toml", ".yml", ".txt"}
SCANNED_NAMES = {"Makefile", "Dockerfile", "run"}  # run: .ci/run
# A citation of the reference outside the repository: the folder, or its two documents by name
# (case-sensitive, so docs/design.md and docs/style.md, the project's own, do not match).
OUTSIDE = re.compile(r"\.\./shared\b|/work/shared\b|\b(?:DESIGN|STYLE)\.md\b")
# Where reference data came from, with its licence, may name the folder: a credit, not a citation.
CREDIT = re.compile(r"shared/data\b.*(licen[cs]e|CC BY)|(licen[cs]e|CC BY).*shared/data\b", re.I)
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.M | re.S)


def document_path(name: str) -> Path:
    return ROOT / name if "/" in name or name == "README.md" else ROOT / "docs" / name


def heading_anchors(markdown: str) -> set[str]:
    """GitHub's anchors of a document's headings: lower case, punctuation dropped, spaces → -."""
    anchors = set()
    for line in FENCE.sub("", markdown).splitlines():
        m = re.match(r"#{1,6}\s+(.*)", line)
        if m:
            text = re.sub(r"[^\w\- ]", "", m.group(1).strip().lower())
            anchors.add(text.replace(" ", "-"))
    return anchors


def broken_links(path: Path) -> list[str]:
    """Every relative link of a Markdown file whose file (or heading) does not exist."""
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    broken = []
    for target in LINK.findall(text):
        if re.match(r"[a-z][a-z0-9+.-]*:", target, re.I):  # http:, https:, mailto:
            continue
        file_part, _, anchor = target.partition("#")
        linked = (path.parent / file_part).resolve() if file_part else path
        if not linked.exists():
            broken.append(f"{target} (no file {linked})")
        elif anchor and linked.suffix == ".md":
            if anchor not in heading_anchors(linked.read_text(encoding="utf-8")):
                broken.append(f"{target} (no heading #{anchor} in {linked.name})")
    return broken


def project_files(root: Path):
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if any(part in SKIPPED_DIRS for part in rel.parts) or not path.is_file():
            continue
        if path.suffix in SCANNED_SUFFIXES or path.name in SCANNED_NAMES:
            yield rel, path


def outside_citations(root: Path) -> dict[str, list[str]]:
    """file → its lines that cite ../shared, DESIGN.md or STYLE.md (credits left out)."""
    found: dict[str, list[str]] = {}
    for rel, path in project_files(root):
        if path == Path(__file__).resolve():
            continue  # this file names the patterns it looks for
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except UnicodeDecodeError:
            continue
        hits = [
            f"{n}: {line.strip()}"
            for n, line in enumerate(lines, 1)
            if OUTSIDE.search(line) and not CREDIT.search(line)
        ]
        if hits:
            found[rel.as_posix()] = hits
    return found


def test_every_relative_link_in_the_documents_reaches_a_file():
    assert (ROOT / "docs" / "architecture.md").exists()
    broken = {name: broken_links(document_path(name)) for name in DOCUMENTS}
    assert not {k: v for k, v in broken.items() if v}, broken


def test_the_readme_links_every_document_in_docs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    linked = {Path(t.partition("#")[0]).name for t in LINK.findall(readme)}
    missing = {p.name for p in (ROOT / "docs").glob("*.md")} - linked
    assert not missing, f"README.md's Documentation section does not link {sorted(missing)}"


def test_no_file_cites_the_reference_outside_the_repository():
    found = outside_citations(ROOT)
    assert not found, (
        "cite docs/design.md, docs/style.md or docs/architecture.md instead of the team's "
        f"reference outside the repository: {found}"
    )


def test_the_checks_catch_a_planted_citation_and_a_broken_link(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "layers").mkdir()
    (tmp_path / "layers" / "cited.py").write_text('"""The rules of DESIGN.md."""\n')
    (tmp_path / "layers" / "credit.py").write_text(
        "# copied from ../shared/data/adcode.csv, licence CC BY 4.0 (fixtures/)\n"
    )
    (tmp_path / "layers" / "own.py").write_text('"""The rules of docs/design.md."""\n')
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "x.py").write_text("# ../shared/DESIGN.md\n")
    assert outside_citations(tmp_path) == {"layers/cited.py": ['1: """The rules of DESIGN.md."""']}

    (tmp_path / "docs" / "a.md").write_text("# Top part\n\nSee [b](b.md), [top](#top-part).\n")
    assert broken_links(tmp_path / "docs" / "a.md") == [
        "b.md (no file " + str(tmp_path / "docs" / "b.md") + ")"
    ]
    (tmp_path / "docs" / "b.md").write_text(
        "# B\n\n```\n[not a link](nowhere.md)\n```\n[up](a.md#gone)\n"
    )
    assert broken_links(tmp_path / "docs" / "a.md") == []
    assert broken_links(tmp_path / "docs" / "b.md") == ["a.md#gone (no heading #gone in a.md)"]
