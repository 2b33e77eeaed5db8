"""The SQL-file loader: SQL that matters lives in .sql files beside the code that runs it, each
opening with a comment that states its parameters, SRIDs, units and what it returns.

Files may hold `{name}` identifier slots; they are filled only from fixed registries in code
(psycopg.sql.Identifier), never from request input. Values go in as %(name)s parameters.

Database-resident code (trigger functions, the derivation and purge functions) lives the same
way, one file per function with its triggers, in `<app>/sql/schema/` (see the README there): the
file is today's definition, and migrations load it with `sql_file_operation`. To change one, edit
its file and add a migration that reloads it; the historic migrations keep their own text.
"""

from functools import cache
from pathlib import Path

from django.db import connection, migrations
from psycopg import sql


@cache
def sql_text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def sql_compose(path: Path, **identifiers: str) -> str:
    """The file's statement with its identifier slots filled, as text: cursor wrappers (Django's
    debug cursor, pghistory's middleware) expect a string, not a psycopg Composed."""
    connection.ensure_connection()
    composed = sql.SQL(sql_text(path)).format(
        **{k: sql.Identifier(v) for k, v in identifiers.items()}
    )
    return composed.as_string(connection.connection)


def sql_file_operation(path: Path, reverse_sql=migrations.RunSQL.noop) -> migrations.RunSQL:
    """A migration step that runs a schema file as it is now (CREATE OR REPLACE FUNCTION …,
    CREATE OR REPLACE TRIGGER …, so running it twice changes nothing). The file goes to the server
    whole, in one execute, rather than cut into statements by Django's sqlparse.

    Reversing leaves the definition as it is by default: the earlier text is in version control,
    not on disk; pass reverse_sql to restore it."""
    return migrations.RunSQL([sql_text(path)], reverse_sql=reverse_sql)
