"""The database's functions and triggers are those of their files after the migrations
(layers/sql/schema/, tiles/sql/schema/; geo.sql.sql_file_operation loads them), so the files
show today's definitions, and every one of ours is in a file."""

import re
from pathlib import Path

import pytest
from django.db import connection, transaction

from geo.sql import sql_text
from layers.catalogue import TILE_TABLES
from tiles.registry import BUFFER, EXTENT, MAX_ZOOM

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_DIRS = [ROOT / "layers" / "sql" / "schema", ROOT / "tiles" / "sql" / "schema"]
FILES = sorted(path for folder in SCHEMA_DIRS for path in folder.glob("*.sql"))

FUNCTION = re.compile(r"CREATE OR REPLACE FUNCTION\s+(\w+)\s*\(.*?\bAS \$\$(.*?)\$\$", re.S)
TRIGGER = re.compile(
    r"CREATE OR REPLACE TRIGGER\s+(\w+)\s.*?\sON\s+(\w+)\s.*?"
    r"EXECUTE FUNCTION\s+(\w+)\(([^)]*)\)",
    re.S,
)


def _functions(path: Path) -> dict[str, str]:
    """name → body (the text between the dollar quotes, as pg_proc.prosrc keeps it)."""
    return dict(FUNCTION.findall(sql_text(path)))


def _triggers(path: Path) -> dict[tuple[str, str], tuple[str, list[str]]]:
    """(table, trigger) → (function, arguments)."""
    return {
        (table, name): (function, re.findall(r"'([^']*)'", args))
        for name, table, function, args in TRIGGER.findall(sql_text(path))
    }


def _rows(query: str, params=None) -> list[tuple]:
    with connection.cursor() as cur:
        cur.execute(query, params)
        return cur.fetchall()


def _database_triggers() -> dict[tuple[str, str], tuple[str, list[str]]]:
    """Our triggers (those calling a ga_ function), as _triggers gives a file's."""
    rows = _rows(
        "SELECT tgrelid::regclass::text, tgname, tgfoid::regproc::text, tgnargs, tgargs"
        "  FROM pg_trigger WHERE NOT tgisinternal AND tgfoid::regproc::text LIKE 'ga\\_%%'"
    )
    return {
        (table, name): (function, bytes(args).decode().split("\x00")[:nargs])
        for table, name, function, nargs, args in rows
    }


def _definitions() -> dict:
    """Every definition of ours as PostgreSQL prints it back: functions and triggers."""
    functions = _rows(
        "SELECT proname, pg_get_functiondef(oid) FROM pg_proc WHERE proname LIKE 'ga\\_%%'"
    )
    triggers = _rows(
        "SELECT tgrelid::regclass::text, tgname, pg_get_triggerdef(oid) FROM pg_trigger"
        " WHERE NOT tgisinternal AND tgfoid::regproc::text LIKE 'ga\\_%%'"
    )
    return {**dict(functions), **{(t, n): d for t, n, d in triggers}}


def test_each_file_is_one_function_named_as_the_file():
    assert len(FILES) >= 15
    for path in FILES:
        text = sql_text(path)
        assert list(_functions(path)) == [path.stem], path.name
        assert path.stem.startswith("ga_"), "our functions are ga_*: the other tests find them so"
        assert len(_triggers(path)) == text.count("CREATE OR REPLACE TRIGGER"), path.name
        assert "CREATE TRIGGER" not in text, f"{path.name}: CREATE OR REPLACE, so it reloads"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_function_bodies_are_the_files(path):
    for name, body in _functions(path).items():
        found = _rows("SELECT prosrc FROM pg_proc WHERE proname = %s", [name])
        assert found, f"{name} of {path.name} is not in the database: no migration loads it"
        assert [r[0] for r in found] == [body], f"{name} differs from {path.name}: reload it"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_triggers_of_the_files_are_on_their_tables(path):
    database = _database_triggers()
    for key, definition in _triggers(path).items():
        assert database.get(key) == definition, f"{key} of {path.name}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_reloading_a_file_changes_no_definition(path):
    """Arguments, return type, language, volatility; trigger timing, events and transition
    tables: what prosrc alone does not show."""
    before = _definitions()
    with transaction.atomic():
        with connection.cursor() as cur:
            cur.execute(sql_text(path))
        after = _definitions()
        transaction.set_rollback(True)
    assert after == before


def test_every_function_and_trigger_of_ours_is_in_a_file():
    functions = {name for path in FILES for name in _functions(path)}
    triggers = {key for path in FILES for key in _triggers(path)}
    database = {r[0] for r in _rows("SELECT proname FROM pg_proc WHERE proname LIKE 'ga\\_%%'")}
    assert database == functions
    assert triggers and set(_database_triggers()) == triggers


def test_tile_constants_are_the_registry_s():
    tiles = SCHEMA_DIRS[1]
    assert f"{BUFFER / EXTENT}" in _functions(tiles / "ga_tile_range.sql")["ga_tile_range"]
    purge_boxes = _functions(tiles / "ga_tiles_purge_boxes.sql")["ga_tiles_purge_boxes"]
    assert f"generate_series(0, {MAX_ZOOM})" in purge_boxes


def _purged_layers() -> dict[str, list[tuple[str, ...]]]:
    """Each table with a purge trigger → the tile layers its triggers purge: the arguments of
    ga_tiles_purge, or the ARRAY[...] a trigger function without arguments names."""
    tiles = SCHEMA_DIRS[1]
    out: dict[str, list] = {}
    for path in tiles.glob("ga_tiles_purge*.sql"):
        named = {f: re.findall(r"ARRAY\[([^\]]*)\]", body) for f, body in _functions(path).items()}
        for (table, _), (function, args) in _triggers(path).items():
            if not args:
                listed = [re.findall(r"'([^']*)'", a) for a in named.get(function, [])]
                args = [layer for layers in listed for layer in layers if layer != "all"]
            out.setdefault(table, []).append(tuple(args))
    return out


def test_purge_triggers_purge_the_layers_the_catalogue_says():
    """Every table a tile layer reads purges exactly the tile layers reading it (the layer of
    its own rows first: ga_tiles_purge drops that layer's generalised rows), on insert, update
    and delete alike."""
    purged = _purged_layers()
    assert set(purged) == set(TILE_TABLES), set(purged) ^ set(TILE_TABLES)
    for table, layers in TILE_TABLES.items():
        assert len(purged[table]) == 3, f"{table}: a trigger for each of insert, update, delete"
        for args in purged[table]:
            assert set(args) == set(layers), f"{table} purges {args}, the catalogue says {layers}"
            assert args[0] == layers[0], f"{table}: its own layer {layers[0]} first"


def test_migrations_carry_their_own_text():
    """No migration reads another's SQL (slicing it would change history when that one is
    reworded)."""
    for app in ("layers", "tiles"):
        for path in sorted((ROOT / app / "migrations").glob("0*.py")):
            text = path.read_text(encoding="utf-8")
            assert "import_module" not in text and ".migrations.0" not in text, path.name
