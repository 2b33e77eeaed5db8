"""The batch lookup's address rows on several database connections at once.

An address costs PostgreSQL time, not Python time (the one statement of address_batch, and
address_candidates' queries for the rest), so a large sheet is split into parts that run on
GRIDATLAS_BATCH_THREADS connections in parallel — one per core the database may use. Each thread
has its own Django connection, closed when its part is done; results come back in row order, so
the answers are the same as one by one. Only the worker runs this (a batch is a job, never a web
request), and only from GRIDATLAS_BATCH_PARALLEL_MIN_ROWS rows: below that, starting connections
costs more than it saves, and a test's uncommitted rows stay visible to the one connection.
"""

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import connections


def threads_for(rows: int) -> int:
    """How many connections a part of `rows` address rows is looked up on."""
    if rows < settings.GRIDATLAS_BATCH_PARALLEL_MIN_ROWS:
        return 1
    return max(1, settings.GRIDATLAS_BATCH_THREADS)


def _closing(fn: Callable):
    def run(arg):
        try:
            return fn(arg)
        finally:
            connections.close_all()  # this thread's connections: they are not pooled

    return run


def parallel_map(fn: Callable, parts: Iterable, *, threads: int) -> Iterator:
    """fn over parts, `threads` at a time, results in the order of parts."""
    parts = list(parts)
    if threads <= 1 or len(parts) <= 1:
        yield from map(fn, parts)
        return
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="batch-lookup") as pool:
        yield from pool.map(_closing(fn), parts)


def by_name(texts: list[str], indices: list[int], parts: int) -> list[list[int]]:
    """`indices` split into `parts` groups, rows that start alike together: a plain address starts
    with its compound's name, and the statement's work is per name, so a name is looked up in one
    part only (most of the time; a split name costs time, never a different answer)."""
    groups: list[list[int]] = [[] for _ in range(parts)]
    for i in indices:
        groups[hash(texts[i][:3]) % parts].append(i)
    return [g for g in groups if g]


def chunks(items: list, size: int) -> list[list]:
    return [items[k : k + size] for k in range(0, len(items), size)]
