"""Exporting a layer set's vector tiles into one file, PMTiles v3 or MBTiles 1.3, for offline use
or a CDN.

Rendering is the cost and it is PostgreSQL's work, so worker threads render (one database
connection each: two connections keep both cores busy) while the calling thread writes, in tile-id
order, into a temporary file beside the output that is renamed over it only when complete.
"""

import gzip
import json
import math
import os
import queue
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from django.conf import settings
from django.db import connection
from pmtiles.tile import Compression, TileType, zxy_to_tileid
from pmtiles.writer import Writer
from tqdm import tqdm

from geo.errors import BadRequest

from .cache import cache_lookup
from .coords import TileCoord
from .prerender import city_tiles
from .registry import COMPOSITE, LAYERS, TileLayer, layers_for
from .render import tile_render
from .tilejson import _vector_layer, tilejson

FORMATS = ("pmtiles", "mbtiles")
DEFAULT_MAXZOOM = 14  # the last zoom with every layer; MapLibre overzooms z14 tiles beyond
GZIP_LEVEL = 6  # zlib's default; on the city, level 9 takes 1.5× as long for 0.3 % smaller tiles

Job = TypeVar("Job")
Result = TypeVar("Result")


@dataclass(frozen=True)
class ExportPlan:
    """A validated export request: nothing downstream re-checks it."""

    fmt: str
    output: Path
    key: str
    layers: tuple[TileLayer, ...]
    minzoom: int
    maxzoom: int
    workers: int


@dataclass
class ExportResult:
    tiles_written: int = 0
    empty_skipped: int = 0
    size_bytes: int = 0
    seconds: float = 0.0
    # Composite tiles over GRIDATLAS_TILE_MAX_BYTES (uncompressed bytes): the server leaves
    # low-priority layers out of them, the export keeps them whole (the file must be a full map).
    oversized: list[tuple[TileCoord, int]] = field(default_factory=list)
    zooms: tuple[int, int] | None = None  # lowest and highest zoom written


def export_plan(
    *,
    fmt: str,
    output: Path,
    layer: str = COMPOSITE,
    minzoom: int | None = None,
    maxzoom: int | None = None,
    workers: int = 2,
) -> ExportPlan:
    """Check an export request before any work; BadRequest says what to change."""
    if fmt not in FORMATS:
        raise BadRequest(f"unknown format {fmt!r}: choose one of {', '.join(FORMATS)}")
    layers = layers_for(layer)
    if not layers:
        choices = ", ".join([COMPOSITE, *LAYERS])
        raise BadRequest(f"no tile layer {layer!r}: choose one of {choices}")
    first = min(la.minzoom for la in layers)
    last = max(la.maxzoom for la in layers)
    minzoom = first if minzoom is None else minzoom
    maxzoom = min(DEFAULT_MAXZOOM, last) if maxzoom is None else maxzoom
    if minzoom < 0:
        raise BadRequest(f"--minzoom {minzoom} is below 0: zooms start at 0")
    if maxzoom > last:
        raise BadRequest(f"{layer} is cut down to zoom {last}: use --maxzoom {last} or lower")
    if minzoom > maxzoom:
        raise BadRequest(
            f"--minzoom {minzoom} is above --maxzoom {maxzoom}: lower --minzoom or raise "
            f"--maxzoom (up to {last})"
        )
    if maxzoom < first:
        raise BadRequest(f"{layer} starts at zoom {first}: use --maxzoom {first} or higher")
    if workers < 1:
        raise BadRequest(f"--workers {workers}: at least 1 thread must render")
    output = _output_checked(output, fmt)
    return ExportPlan(fmt, output, layer, tuple(layers), minzoom, maxzoom, workers)


def _output_checked(output: Path, fmt: str) -> Path:
    output = Path(output).absolute()
    if output.is_dir():
        raise BadRequest(f"{output} is a directory: give a file name, e.g. {output}/city.{fmt}")
    if not output.parent.is_dir():
        raise BadRequest(
            f"the directory {output.parent} does not exist: create it first "
            f"(mkdir -p {output.parent}) or choose another --output"
        )
    if not os.access(output.parent, os.W_OK):
        raise BadRequest(f"cannot write in {output.parent}: choose another --output")
    other = {"pmtiles": ".mbtiles", "mbtiles": ".pmtiles"}[fmt]
    if output.suffix == other:
        raise BadRequest(f"{output.name} ends in {other} but --format is {fmt}: rename one")
    return output


def export_tiles(*, plan: ExportPlan, progress: bool = False) -> ExportResult:
    """Write the plan's tiles (gzip-compressed MVT, empty tiles left out) into plan.output.

    The file appears only when complete: a failure or an interrupt leaves any previous file as
    it was. Raises BadRequest when the database holds nothing to export.
    """
    t0 = time.perf_counter()
    coords = [c for z in range(plan.minzoom, plan.maxzoom + 1) for c in city_tiles(z=z)]
    if not coords:
        raise BadRequest(
            "the database holds no city (no streets): load one first, e.g. "
            "`manage.py build_demo_city`"
        )
    # PMTiles readers fetch neighbouring tiles in one range request when the file is clustered.
    coords.sort(key=lambda c: zxy_to_tileid(c.z, c.x, c.y))
    tmp = plan.output.with_name(f".{plan.output.name}.{secrets.token_hex(4)}.part")
    sink = None
    try:
        sink = SINKS[plan.fmt](tmp)
        result = _tiles_written(sink, coords, plan=plan, progress=progress)
        if not result.tiles_written:
            raise BadRequest(
                f"every {plan.key} tile at zooms {plan.minzoom}–{plan.maxzoom} is empty: "
                "nothing to export"
            )
        sink.finish(_metadata(plan, zooms=result.zooms))
        _fsync(tmp)
        os.replace(tmp, plan.output)
    except BaseException:
        if sink is not None:
            sink.abort()
        tmp.unlink(missing_ok=True)
        raise
    result.size_bytes = plan.output.stat().st_size
    result.seconds = time.perf_counter() - t0
    return result


def _tiles_written(sink, coords: list[TileCoord], *, plan: ExportPlan, progress: bool):
    result = ExportResult()
    # Only the composite is ever capped (tile_render's `droppable`).
    cap = settings.GRIDATLAS_TILE_MAX_BYTES if plan.key == COMPOSITE else None

    def render(coord: TileCoord) -> tuple[bytes, int]:
        return _tile_gzipped(coord, key=plan.key, layers=plan.layers)

    desc = f"{plan.fmt} {plan.key} z{plan.minzoom}–{plan.maxzoom}"
    with tqdm(total=len(coords), desc=desc, unit="tile", disable=not progress) as bar:
        rendered = threaded_map(coords, work=render, workers=plan.workers)
        for coord, (data, raw_bytes) in zip(coords, rendered, strict=True):
            bar.update()
            if not data:
                result.empty_skipped += 1
                continue
            if cap is not None and raw_bytes > cap:
                result.oversized.append((coord, raw_bytes))
            sink.put(coord, data)
            result.tiles_written += 1
            lo, hi = result.zooms or (coord.z, coord.z)
            result.zooms = (min(lo, coord.z), max(hi, coord.z))
    return result


def _tile_gzipped(
    coord: TileCoord, *, key: str, layers: tuple[TileLayer, ...]
) -> tuple[bytes, int]:
    """The tile as the file stores it (gzip; b"" when empty) and its uncompressed size."""
    # Reuse the server's cache: triggers keep it exact, and it never holds a capped tile.
    cached, _epoch = cache_lookup(key=key, coord=coord)
    if cached is not None:
        data = cached.data
    else:
        data = tile_render(coord=coord, layers=list(layers), droppable=False).data
    if not data:
        return b"", 0
    # mtime=0: the same data gives the same file, so a CDN sees no change where there is none.
    return gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0), len(data)


def threaded_map(
    jobs: list[Job], *, work: Callable[[Job], Result], workers: int
) -> Iterator[Result]:
    """work(job) for every job, yielded in the jobs' order, computed by `workers` threads.

    Each thread uses its own database connection (Django keeps one per thread) and closes it
    when done. The first error stops the threads and is raised here.
    """
    todo: queue.SimpleQueue = queue.SimpleQueue()
    for item in enumerate(jobs):
        todo.put(item)
    done: queue.SimpleQueue = queue.SimpleQueue()
    stop = threading.Event()

    def run() -> None:
        try:
            while not stop.is_set():
                try:
                    i, job = todo.get_nowait()
                except queue.Empty:
                    return
                try:
                    done.put((i, work(job), None))
                except Exception as exc:  # handed to the writing thread, which raises it
                    done.put((i, None, exc))
                    return
        finally:
            connection.close()

    threads = [threading.Thread(target=run, daemon=True) for _ in range(workers)]
    for t in threads:
        t.start()
    ready: dict[int, Result] = {}  # finished out of order, waiting for their turn
    try:
        for turn in range(len(jobs)):
            while turn not in ready:
                i, result, exc = done.get()
                if exc is not None:
                    raise exc
                ready[i] = result
            yield ready.pop(turn)
    finally:
        stop.set()
        for t in threads:
            t.join()


def _metadata(plan: ExportPlan, *, zooms: tuple[int, int]) -> dict:
    """TileJSON-like metadata for the zooms actually written; vector_layers are the registry's,
    with their zooms narrowed to the file's."""
    lo, hi = zooms
    tj = tilejson(key=plan.key, base_url="")
    lon, lat, centre_z = tj["center"]
    # TileJSON rounds the city's box to 6 decimals, possibly inwards: widen it by one step so
    # it still contains every feature.
    outwards = (-1e-6, -1e-6, 1e-6, 1e-6)
    bounds = [round(v + d, 6) for v, d in zip(tj["bounds"], outwards, strict=True)]
    return {
        "name": tj["name"],
        "description": tj["description"],
        "attribution": tj["attribution"],
        "version": tj["version"],
        "type": "overlay",
        "format": "pbf",
        "bounds": bounds,
        "center": [lon, lat, min(max(centre_z, lo), hi)],
        "minzoom": lo,
        "maxzoom": hi,
        "vector_layers": [
            {**_vector_layer(la), "minzoom": max(la.minzoom, lo), "maxzoom": min(la.maxzoom, hi)}
            for la in plan.layers
            if la.minzoom <= hi and la.maxzoom >= lo
        ],
    }


class _PMTilesSink:
    """PMTiles v3 through the protomaps writer; tiles must arrive in tile-id order."""

    def __init__(self, path: Path):
        self.file = open(path, "xb")  # closed in finish() or abort()
        self.writer = Writer(self.file)

    def put(self, coord: TileCoord, data: bytes) -> None:
        self.writer.write_tile(zxy_to_tileid(coord.z, coord.x, coord.y), data)

    def finish(self, meta: dict) -> None:
        west, south, east, north = meta["bounds"]
        lon, lat, centre_z = meta["center"]
        # Rounded outwards so the header's box still contains the city. The writer fills in the
        # offsets, counts, min/max zoom (from the tiles), clustering and internal compression.
        header = {
            "tile_type": TileType.MVT,
            "tile_compression": Compression.GZIP,
            "min_zoom": meta["minzoom"],
            "max_zoom": meta["maxzoom"],
            "min_lon_e7": math.floor(west * 1e7),
            "min_lat_e7": math.floor(south * 1e7),
            "max_lon_e7": math.ceil(east * 1e7),
            "max_lat_e7": math.ceil(north * 1e7),
            "center_zoom": centre_z,
            "center_lon_e7": round(lon * 1e7),
            "center_lat_e7": round(lat * 1e7),
        }
        self.writer.finalize(header, meta)
        self.file.close()

    def abort(self) -> None:
        self.writer.tile_f.close()
        self.file.close()


class _MBTilesSink:
    """MBTiles 1.3: SQLite, TMS rows (y counted from the south), gzip-compressed pbf."""

    def __init__(self, path: Path):
        self.db = sqlite3.connect(path)
        # A temporary file renamed only when complete: a crash needs no rollback journal.
        self.db.executescript(
            """PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;
               CREATE TABLE metadata (name text, value text);
               CREATE UNIQUE INDEX name ON metadata (name);
               CREATE TABLE tiles (zoom_level integer, tile_column integer, tile_row integer,
                                   tile_data blob);
               CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row);"""
        )

    def put(self, coord: TileCoord, data: bytes) -> None:
        tms_row = 2**coord.z - 1 - coord.y
        self.db.execute("INSERT INTO tiles VALUES (?, ?, ?, ?)", (coord.z, coord.x, tms_row, data))

    def finish(self, meta: dict) -> None:
        values = {
            **{k: meta[k] for k in ("name", "description", "attribution", "version", "type")},
            "format": "pbf",
            "bounds": ",".join(str(v) for v in meta["bounds"]),
            "center": ",".join(str(v) for v in meta["center"]),
            "minzoom": str(meta["minzoom"]),
            "maxzoom": str(meta["maxzoom"]),
            "json": json.dumps({"vector_layers": meta["vector_layers"]}, ensure_ascii=False),
        }
        self.db.executemany("INSERT INTO metadata VALUES (?, ?)", values.items())
        self.db.commit()
        self.db.close()

    def abort(self) -> None:
        self.db.close()


def _fsync(path: Path) -> None:
    """Flush to disk before the rename, so a crash cannot leave a renamed but empty file."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


SINKS = {"pmtiles": _PMTilesSink, "mbtiles": _MBTilesSink}
