"""python manage.py export_tiles --format pmtiles|mbtiles --output PATH [--layer all]
[--minzoom N] [--maxzoom N] [--workers N]"""

import contextlib
import signal
import threading
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from geo.errors import DomainError, Unavailable
from tiles.export import DEFAULT_MAXZOOM, FORMATS, export_plan, export_tiles
from tiles.registry import COMPOSITE, LAYERS

OVERSIZED_SHOWN = 20  # tiles named in the warning; the rest are counted


class Command(BaseCommand):
    help = (
        "Write the city's vector tiles for one layer (default: the composite `all`) and a zoom "
        "range into one PMTiles or MBTiles file, for offline use or a CDN. Tiles are "
        "gzip-compressed MVT, empty tiles are left out, and the file appears only when complete "
        "(written beside it, then renamed)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--format",
            required=True,
            choices=FORMATS,
            dest="fmt",
            help="pmtiles (one file, HTTP range requests: a CDN or static host) or mbtiles "
            "(SQLite: tile servers, mobile apps)",
        )
        parser.add_argument("--output", required=True, type=Path, help="the file to write")
        parser.add_argument(
            "--layer",
            default=COMPOSITE,
            help=f"{COMPOSITE} (every layer in one tile, the default) or one of: "
            + ", ".join(LAYERS),
        )
        parser.add_argument(
            "--minzoom", type=int, help="first zoom (default: the layer's first zoom, 8 for all)"
        )
        parser.add_argument(
            "--maxzoom",
            type=int,
            help=f"last zoom (default {DEFAULT_MAXZOOM}; at most the layer's last zoom, 16; "
            "maps overzoom beyond)",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=2,
            help="rendering threads, each with its own database connection (default 2: one "
            "per core, since PostgreSQL does the rendering)",
        )

    def handle(self, *args, fmt, output, layer, minzoom, maxzoom, workers, **opts):
        try:
            plan = export_plan(
                fmt=fmt,
                output=output,
                layer=layer,
                minzoom=minzoom,
                maxzoom=maxzoom,
                workers=workers,
            )
            with _sigterm_interrupts():
                result = export_tiles(plan=plan, progress=opts["verbosity"] > 0)
        except Unavailable as exc:
            raise CommandError(
                f"{exc.message}. The export stopped and wrote nothing; rerun it with a longer "
                "limit, e.g. GRIDATLAS_TILE_STATEMENT_TIMEOUT_MS=60000"
            ) from exc
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        except OSError as exc:
            raise CommandError(
                f"could not write {output}: {exc}. Nothing was written; free some space or "
                "choose another --output"
            ) from exc
        if result.oversized:
            self._warn_oversized(result.oversized)
        self.stdout.write(
            f"export_tiles: {result.tiles_written} tiles written, {result.empty_skipped} empty "
            f"tiles skipped, {result.size_bytes} bytes, {result.seconds:.1f} s → {plan.output}"
        )

    def _warn_oversized(self, oversized):
        named = ", ".join(
            f"{c.z}/{c.x}/{c.y} ({size:,} B)" for c, size in oversized[:OVERSIZED_SHOWN]
        )
        more = len(oversized) - OVERSIZED_SHOWN
        self.stderr.write(
            self.style.WARNING(
                f"{len(oversized)} tiles are over GRIDATLAS_TILE_MAX_BYTES: the server leaves "
                "low-priority layers out of them, the file holds them whole: "
                + named
                + (f" and {more} more" if more > 0 else "")
            )
        )


@contextlib.contextmanager
def _sigterm_interrupts():
    """SIGTERM (a CI timeout, `docker stop`) interrupts like Ctrl-C, so the export cleans up and
    leaves no temporary file beside the output (a synced directory would upload it)."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set signal handlers (e.g. call_command in a thread)
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
