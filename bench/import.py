#!/usr/bin/env python
"""The import benchmark (issue 7): the `city` buildings (~150,000) imported with
`manage.py import_layer` from a GeoPackage and from a zipped Shapefile into a fresh scratch
database, against `ogr2ogr -f PostgreSQL` loading the same files into the same database in the
same run (the floor: no validation, no triggers, no history); then the same Shapefile again (every
row matched by code and found unchanged: the idempotent re-import). Prints seconds, rows/s and
the ratios.

    .venv/bin/python bench/import.py [--keep] [--json PATH]

Reads the scratch database gridatlas_bench (or BENCH_DATABASE_NAME; built when missing, about
2 min) and writes only to a second scratch database, gridatlas_bench_import: migrated, given the
city's divisions, compounds and parcels but no buildings, and dropped at the end unless --keep.
Files go to var/bench/import/.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

# harness (found beside this script) puts the project root in front of sys.path on import.
import harness
from harness import DEFAULT_DB, ROOT, VAR, phase

SCRATCH_DB = "gridatlas_bench_import"
OUT = VAR / "import"
# The parents the import resolves codes against (and the parcels the building trigger assigns),
# copied into the fresh database as in a real city. Its schema comes from the migrations, not
# from pg_dump: pgtrigger's history triggers compare geometries with `=`, which a restore under
# pg_dump's empty search_path cannot resolve.
PARENT_TABLES = [
    "layers_district",
    "layers_street",
    "layers_community",
    "layers_grid",
    "layers_microgrid",
    "layers_xiaoqu",
    "layers_parcel",
]
EXPORT_SQL = """
SELECT b.code, b.name, c.code AS {community}, x.code AS {compound}, b.households, b.units,
       b.floors, b.geom
  FROM layers_building b
  JOIN layers_community c ON c.id = b.community_id
  LEFT JOIN layers_xiaoqu x ON x.id = b.xiaoqu_id
 ORDER BY b.code"""


def pg_conn(db: str) -> dict:
    conf = harness._product_database()
    return {"host": str(conf["HOST"]), "user": conf["USER"], "dbname": db}


def ogr_pg(db: str) -> str:
    c = pg_conn(db)
    return f"PG:host={c['host']} user={c['user']} dbname={db}"


def run(cmd: list[str], **kw) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, **kw)  # noqa: S603 - argv built here, no shell
    return time.perf_counter() - t0


def psql(db: str, sql: str) -> str:
    c = pg_conn(db)
    argv = ["psql", "-h", c["host"], "-U", c["user"], "-d", db, "-v", "ON_ERROR_STOP=1"]
    # argv built here, no shell; the client tools are found on PATH, as ogr2ogr and pg_dump.
    out = subprocess.run([*argv, "-Atc", sql], check=True, capture_output=True, text=True)  # noqa: S603
    return out.stdout.strip()


def files_export(source_db: str) -> tuple[Path, Path, int]:
    """The city's buildings as a GeoPackage and a zipped Shapefile, written by ogr2ogr straight
    from PostGIS with the columns of layers.io.columns (short names in the Shapefile)."""
    OUT.mkdir(parents=True, exist_ok=True)
    gpkg, shp_dir, shp_zip = OUT / "buildings.gpkg", OUT / "buildings_shp", OUT / "buildings.zip"
    gpkg.unlink(missing_ok=True)
    shutil.rmtree(shp_dir, ignore_errors=True)
    shp_zip.unlink(missing_ok=True)
    base = ["ogr2ogr", "-nln", "buildings", "-nlt", "POLYGON"]
    sql = EXPORT_SQL.format(community="community_code", compound="compound_code")
    run([*base, "-f", "GPKG", str(gpkg), ogr_pg(source_db), "-sql", sql])
    short = EXPORT_SQL.format(community="community_", compound="compound_c")
    run(
        [
            *base,
            "-f",
            "ESRI Shapefile",
            "-lco",
            "ENCODING=UTF-8",
            str(shp_dir),
            ogr_pg(source_db),
            "-sql",
            short,
        ]
    )
    with zipfile.ZipFile(shp_zip, "w") as zf:
        for part in sorted(shp_dir.iterdir()):
            zf.write(part, part.name)
    rows = int(psql(source_db, "SELECT count(*) FROM layers_building"))
    return gpkg, shp_zip, rows


def scratch_make(source_db: str) -> None:
    """A fresh database: migrated, then the parents' rows copied (triggers off while copying:
    the data is already consistent, derived totals included)."""
    c = pg_conn(source_db)
    conn = ["-h", c["host"], "-U", c["user"]]
    psql(source_db, f"DROP DATABASE IF EXISTS {SCRATCH_DB} WITH (FORCE)")
    psql(source_db, f"CREATE DATABASE {SCRATCH_DB}")
    psql(
        SCRATCH_DB, "CREATE EXTENSION IF NOT EXISTS postgis; CREATE EXTENSION IF NOT EXISTS pg_trgm"
    )
    env = {**os.environ, "DATABASE_URL": harness.bench_database_url(SCRATCH_DB)}
    run([sys.executable, str(ROOT / "manage.py"), "migrate", "-v", "0"], env=env, cwd=ROOT)
    dump = OUT / "parents.dump"
    tables = [f"--table={t}" for t in PARENT_TABLES]
    run(["pg_dump", *conn, "-Fc", "--data-only", "-f", str(dump), *tables, source_db])
    # Not --disable-triggers: that disables the foreign-key triggers too, which only a superuser
    # may, and the app role is none. Its own triggers go off instead; Django's foreign keys are
    # DEFERRABLE INITIALLY DEFERRED, so one transaction checks them once, at its commit.
    psql(SCRATCH_DB, "; ".join(f"ALTER TABLE {t} DISABLE TRIGGER USER" for t in PARENT_TABLES))
    run(["pg_restore", *conn, "-d", SCRATCH_DB, "--data-only", "--single-transaction", str(dump)])
    psql(SCRATCH_DB, "; ".join(f"ALTER TABLE {t} ENABLE TRIGGER USER" for t in PARENT_TABLES))
    psql(SCRATCH_DB, "ANALYZE")


def import_layer(path: Path) -> tuple[float, dict]:
    env = {**os.environ, "DATABASE_URL": harness.bench_database_url(SCRATCH_DB)}
    cmd = [sys.executable, str(ROOT / "manage.py"), "import_layer", "buildings", str(path)]
    t0 = time.perf_counter()
    out = subprocess.run(  # noqa: S603
        [*cmd, "--json"], env=env, capture_output=True, text=True, cwd=ROOT
    )
    seconds = time.perf_counter() - t0
    if out.returncode != 0:
        raise RuntimeError(f"import_layer failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")
    return seconds, json.loads(out.stdout)


def ogr2ogr_load(path: Path, table: str) -> float:
    src = f"/vsizip/{path}" if path.suffix == ".zip" else str(path)
    return run(
        [
            "ogr2ogr",
            "-f",
            "PostgreSQL",
            ogr_pg(SCRATCH_DB),
            src,
            "-nln",
            table,
            "-overwrite",
            "-lco",
            "GEOMETRY_NAME=geom",
            "-nlt",
            "POLYGON",
            "--config",
            "PG_USE_COPY",
            "YES",
        ]
    )


def buildings_clear() -> None:
    psql(SCRATCH_DB, "TRUNCATE layers_building CASCADE")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", default=DEFAULT_DB, help="the scratch database holding the city")
    ap.add_argument("--keep", action="store_true", help=f"keep {SCRATCH_DB} afterwards")
    ap.add_argument("--json", help="dump the numbers to this file")
    args = ap.parse_args()
    harness.bench_setup(db=args.db)  # builds the city when missing; refuses the product DB
    # psql, pg_dump, pg_restore and ogr2ogr find the role's password here (libpq), not in argv.
    password = harness._product_database().get("PASSWORD")
    if password:
        os.environ.setdefault("PGPASSWORD", password)
    phase("exporting the buildings with ogr2ogr (GeoPackage, Shapefile)")
    gpkg, shp, rows = files_export(args.db)
    phase(f"{rows:,} buildings; making {SCRATCH_DB} without them")
    scratch_make(args.db)
    r: dict = {"rows": rows}
    try:
        for label, path in (("gpkg", gpkg), ("shp", shp)):
            phase(f"import_layer {path.name}")
            r[f"import_{label}_s"], report = import_layer(path)
            assert report["created"] == rows and report["error_count"] == 0, report
            phase(f"ogr2ogr {path.name}")
            r[f"ogr2ogr_{label}_s"] = ogr2ogr_load(path, f"bench_ogr_{label}")
            if label == "gpkg":
                buildings_clear()
        phase("import_layer the Shapefile again (every row matched, none changed)")
        r["reimport_shp_s"], report = import_layer(shp)
        assert report["unchanged"] == rows and report["created"] == 0, report
    finally:
        if not args.keep:
            psql(args.db, f"DROP DATABASE IF EXISTS {SCRATCH_DB} WITH (FORCE)")
    report_print(r)
    if args.json:
        harness.json_dump(args.json, r)


def report_print(r: dict) -> None:
    n = r["rows"]
    print(f"\nimport of {n:,} buildings (seconds; rows/s; × the ogr2ogr floor)")
    for label in ("gpkg", "shp"):
        ours, floor = r[f"import_{label}_s"], r[f"ogr2ogr_{label}_s"]
        print(
            f"  {label:5} import_layer {ours:7.1f} s ({n / ours:8,.0f}/s)   ogr2ogr {floor:6.1f} s "
            f"({n / floor:8,.0f}/s)   ratio {ours / floor:5.1f}×"
        )
    again = r["reimport_shp_s"]
    print(f"  re-import of the same Shapefile (all matched, nothing written): {again:.1f} s")


if __name__ == "__main__":
    main()
