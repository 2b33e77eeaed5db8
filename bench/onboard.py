#!/usr/bin/env python
"""The onboarding benchmark (issue 15): a district's own files onboarded with one command, against
`ogr2ogr -f PostgreSQL` loading the same files into the same database in the same run (the
floor: no recognition, no code matching, no validation, no rules, no parcels, no history).

Two sets of files:
- the generated district corpus (fixtures/district_corpus, 十堰市张湾区: local letter codes,
  Chinese headers, multi-part features, slivers, a GBK Shapefile, a Gauss-Krüger .prj), `full`
  size (10 streets, 121 communities, ~300 grids);
- a demo city exported layer by layer with `manage.py export_layer` (GeoPackage) and onboarded
  back into an empty database: `--demo small` (default; 12 communities with micro-grids and
  buildings) or `--demo city` (the bench city, 12,570 grids and 158,096 buildings; reads the
  scratch database gridatlas_bench, built when missing).

    .venv/bin/python bench/onboard.py [--demo small|city] [--smoke] [--keep] [--json PATH]

Every onboarding goes into a fresh database made from a migrated template (gridatlas_bench_ob_*),
dropped at the end unless --keep. `--smoke`: the small corpus and the tiny demo city, for the
suite (tests/test_bench_smoke.py): a few seconds of work, no timing judged.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

# harness (found beside this script) puts the project root in front of sys.path on import.
import harness
from harness import DEFAULT_DB, ROOT, VAR, phase

OUT = VAR / "onboard"
TEMPLATE_DB = "gridatlas_bench_ob_template"
SOURCE_DB = "gridatlas_bench_ob_source"
TARGET_DB = "gridatlas_bench_ob_target"
DEMO_LAYERS = (
    "districts",
    "streets",
    "communities",
    "grids",
    "microgrids",
    "compounds",
    "buildings",
    "stations",
    "units",
)
GEO_SUFFIXES = {".shp", ".gpkg", ".geojson", ".json"}


def manage(db: str, *args: str, capture: bool = False) -> tuple[float, str]:
    env = {**os.environ, "DATABASE_URL": harness.bench_database_url(db)}
    t0 = time.perf_counter()
    out = subprocess.run(  # noqa: S603 - argv built here, no shell
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env,
        cwd=ROOT,
        capture_output=capture,
        text=True,
    )
    seconds = time.perf_counter() - t0
    if out.returncode != 0:
        tail = f"\n{(out.stdout or '')[-3000:]}\n{(out.stderr or '')[-3000:]}" if capture else ""
        raise RuntimeError(f"manage.py {' '.join(args[:2])} failed{tail}")
    return seconds, out.stdout or ""


def pg(db: str) -> dict:
    conf = harness._product_database()
    return {"host": str(conf["HOST"]), "user": conf["USER"], "dbname": db}


def psql(db: str, sql: str) -> str:
    c = pg(db)
    argv = ["psql", "-h", c["host"], "-U", c["user"], "-d", db, "-v", "ON_ERROR_STOP=1", "-Atc"]
    out = subprocess.run([*argv, sql], check=True, capture_output=True, text=True)  # noqa: S603
    return out.stdout.strip()


def template_make() -> None:
    """One migrated, empty database; each run copies it (CREATE DATABASE … TEMPLATE: seconds)."""
    psql("postgres", f"DROP DATABASE IF EXISTS {TEMPLATE_DB} WITH (FORCE)")
    psql("postgres", f"CREATE DATABASE {TEMPLATE_DB}")
    psql(
        TEMPLATE_DB,
        "CREATE EXTENSION IF NOT EXISTS postgis; CREATE EXTENSION IF NOT EXISTS pg_trgm",
    )
    manage(TEMPLATE_DB, "migrate", "-v", "0")


def fresh(db: str) -> None:
    psql("postgres", f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
    psql("postgres", f"CREATE DATABASE {db} TEMPLATE {TEMPLATE_DB}")


def drop(*dbs: str) -> None:
    for db in dbs:
        psql("postgres", f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")


def ogr2ogr_floor(folder: Path, db: str) -> float:
    """Every geographic file of `folder` loaded as it is into its own table (COPY)."""
    c = pg(db)
    target = f"PG:host={c['host']} user={c['user']} dbname={db}"
    total = 0.0
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in GEO_SUFFIXES)
    for i, path in enumerate(files):
        argv = ["ogr2ogr", "-f", "PostgreSQL", target, str(path), "-nln", f"bench_ogr_{i}"]
        if path.suffix.lower() == ".shp" and not path.with_suffix(".cpg").exists():
            # A district's GBK Shapefile with no .cpg: the operator of ogr2ogr must say so (our
            # reader finds it out itself); the floor gets the hint for free.
            argv += ["-oo", "ENCODING=CP936"]
        argv += ["-overwrite", "-lco", "GEOMETRY_NAME=geom", "-nlt", "PROMOTE_TO_MULTI"]
        argv += ["--config", "PG_USE_COPY", "YES"]
        t0 = time.perf_counter()
        out = subprocess.run(argv, capture_output=True, text=True)  # noqa: S603 - argv built here
        total += time.perf_counter() - t0
        if out.returncode != 0:
            raise RuntimeError(f"ogr2ogr {path.name} failed: {out.stderr[-2000:]}")
    return total


def onboard(folder: Path, db: str, *extra: str) -> tuple[float, dict]:
    seconds, out = manage(db, "onboard", str(folder), "--yes", "--json", *extra, capture=True)
    return seconds, json.loads(out)


def counts(db: str) -> dict[str, int]:
    tables = ("district", "street", "community", "grid", "microgrid", "building", "parcel")
    # Table names from the constant tuple above.
    sql = " UNION ALL ".join(f"SELECT '{t}', count(*) FROM layers_{t}" for t in tables)  # noqa: S608
    return {t: int(n) for t, n in (line.split("|") for line in psql(db, sql).splitlines())}


def violations_count(db: str) -> int:
    """The boundary violations in `db` (the demo city has its own, e.g. grids out of band)."""
    code = "from layers.rules import boundary_violations; print(len(boundary_violations()))"
    return int(manage(db, "shell", "-c", code, capture=True)[1].strip().splitlines()[-1])


def corpus_run(size: str, r: dict) -> None:
    folder = OUT / f"corpus_{size}"
    shutil.rmtree(folder, ignore_errors=True)
    phase(f"building the {size} district corpus")
    manage(TEMPLATE_DB, "build_district_corpus", str(folder), "--size", size, "-v", "0")
    fresh(TARGET_DB)
    phase("onboard (one command, one transaction)")
    seconds, report = onboard(folder, TARGET_DB)
    r["corpus"] = {"size": size, "onboard_s": seconds, "counts": counts(TARGET_DB)}
    r["corpus"]["violations"] = _violations(report)
    phase("ogr2ogr the same files (the floor)")
    r["corpus"]["ogr2ogr_s"] = ogr2ogr_floor(folder, TARGET_DB)


def demo_run(scale: str, r: dict, source: str) -> None:
    folder = OUT / f"demo_{scale}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    phase(f"exporting the {scale} demo city, layer by layer (GeoPackage)")
    # One process for every layer (a manage.py start costs seconds): export_layer as it runs.
    code = (
        "from django.core.management import call_command\n"
        f"for layer in {list(DEMO_LAYERS)!r}:\n"
        "    call_command('export_layer', layer, '--format', 'gpkg', '--output',\n"
        f"                 {str(folder)!r} + '/' + layer + '.gpkg', verbosity=0)\n"
    )
    manage(source, "shell", "-c", code, capture=True)
    fresh(TARGET_DB)
    phase("onboarding it back into an empty database")
    seconds, report = onboard(folder, TARGET_DB)
    r["demo"] = {"scale": scale, "onboard_s": seconds, "counts": counts(TARGET_DB)}
    r["demo"]["source_counts"] = counts(source)
    r["demo"]["source_violations"] = violations_count(source)
    r["demo"]["violations"] = _violations(report)
    phase("ogr2ogr the same files (the floor)")
    r["demo"]["ogr2ogr_s"] = ogr2ogr_floor(folder, TARGET_DB)


def _violations(report: dict) -> int | None:
    """The boundary violations the onboarding's own check found (None: the check did not run)."""
    return len(report["violations"]) if report.get("checked") else None


def demo_source(scale: str, bench_db: str) -> str:
    """The database holding the demo city to export: the bench city, or one built here."""
    if scale == "city":
        env = {**os.environ}
        subprocess.run(  # noqa: S603 - constant argv
            [sys.executable, "-c", f"import harness; harness.bench_setup(db={bench_db!r})"],
            cwd=ROOT / "bench",
            env=env,
            check=True,
        )
        return bench_db
    fresh(SOURCE_DB)
    manage(SOURCE_DB, "build_demo_city", "--scale", scale, "-v", "0")
    return SOURCE_DB


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--demo", choices=("tiny", "small", "city"), default="small")
    ap.add_argument("--db", default=DEFAULT_DB, help="the bench city's database (--demo city)")
    ap.add_argument("--smoke", action="store_true", help="small corpus, tiny demo: for the suite")
    ap.add_argument("--keep", action="store_true", help="keep the scratch databases")
    ap.add_argument("--json", help="dump the numbers to this file")
    args = ap.parse_args()
    password = harness._product_database().get("PASSWORD")
    if password:
        os.environ.setdefault("PGPASSWORD", password)
    OUT.mkdir(parents=True, exist_ok=True)
    scale = "tiny" if args.smoke else args.demo
    r: dict = {}
    phase("a migrated template database")
    template_make()
    try:
        corpus_run("small" if args.smoke else "full", r)
        source = demo_source(scale, args.db)
        demo_run(scale, r, source)
    finally:
        if not args.keep:
            drop(TARGET_DB, SOURCE_DB, TEMPLATE_DB)
    report_print(r)
    if args.json:
        harness.json_dump(args.json, r)


def report_print(r: dict) -> None:
    print("\nonboarding (seconds; × the ogr2ogr floor of the same files)")
    for key, label in (("corpus", "district corpus"), ("demo", "demo city exported")):
        x = r[key]
        size = x.get("size") or x.get("scale")
        c = x["counts"]
        what = ", ".join(f"{n:,} {t}" for t, n in c.items() if n)
        print(
            f"  {label} ({size}): onboard {x['onboard_s']:6.1f} s   ogr2ogr {x['ogr2ogr_s']:5.1f} s"
            f"   ratio {x['onboard_s'] / max(x['ogr2ogr_s'], 1e-3):5.1f}×   [{what}]"
        )
        before = (
            f" (the source database: {x['source_violations']})" if "source_violations" in x else ""
        )
        print(f"    boundary violations after onboarding: {x['violations']}{before}")
        if "source_counts" in x:
            same = {t: (x["source_counts"][t], c[t]) for t in c if t != "parcel"}
            print(f"    round trip, source → onboarded: {same}")


if __name__ == "__main__":
    main()
