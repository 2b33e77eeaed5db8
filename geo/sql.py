"""The SQL-file loader: SQL that matters lives in .sql files beside the code that runs it, each
opening with a comment that states its parameters, SRIDs, units and what it returns.

Files may hold `{name}` identifier slots; they are filled only from fixed registries in code
(psycopg.sql.Identifier), never from request input. Values go in as %(name)s parameters.
"""

from functools import cache
from pathlib import Path

from django.db import connection
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
