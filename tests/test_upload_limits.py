"""Uploads are bounded before and while they are read; spreadsheet and zip bombs are refused
from their zip directory, their sheet's dimension or a count that stops at the cap + 1, at low
memory; /import/ keeps its uploads in a private folder under var/ and sweeps the old ones."""

import io
import json
import os
import stat
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.handlers.wsgi import WSGIRequest
from django.test.client import RequestFactory
from django.test.client import encode_multipart as django_multipart

from geo.errors import BadRequest
from geo.uploads import UploadTooLarge
from layers.io.readers import source_read
from layers.models import PlannerStreet, Street
from layers.services.lookup_batch import table_read
from tests import import_corpus as corpus
from tests.factories import hierarchy_make

BOUNDARY = "gridatlas-test-boundary"
ROW = '<row><c t="inlineStr"><is><t>湖北省武汉市江岸区丽新街8号</t></is></c></row>'.encode()


class CountingStream(io.BytesIO):
    """A request body that counts the bytes the server read from it."""

    consumed = 0

    def read(self, size=-1):
        data = super().read(size)
        self.consumed += len(data)
        return data

    def readline(self, size=-1):
        data = super().readline(size)
        self.consumed += len(data)
        return data


def _multipart(filename: str, data: bytes, **fields) -> bytes:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return django_multipart(BOUNDARY, {**fields, "file": SimpleUploadedFile(filename, data)})


def _environ(path: str, body: bytes, **extra) -> tuple[dict, CountingStream]:
    stream = CountingStream(body)
    environ = RequestFactory()._base_environ(
        PATH_INFO=path,
        REQUEST_METHOD="POST",
        CONTENT_TYPE=f"multipart/form-data; boundary={BOUNDARY}",
        CONTENT_LENGTH=str(len(body)),
        **extra,
    )
    environ["wsgi.input"] = stream
    return environ, stream


def _served(environ):
    from django.test.client import ClientHandler

    return ClientHandler()(environ)


def xlsx_bomb(path: Path, *, rows: int, dimension: bool, varied: bool = False) -> Path:
    """A workbook whose one sheet holds `rows` identical rows, streamed into the zip (so this
    test's own memory stays flat); deflate packs them about 1000:1."""
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg = "http://schemas.openxmlformats.org/package/2006/relationships"
    ct = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{ct}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{ct}.worksheet+xml"/>'
            "</Types>",
        )
        zf.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{pkg}"><Relationship Id="rId1" '
            f'Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        zf.writestr(
            "xl/workbook.xml",
            f'<workbook {ns} xmlns:r="{rel}"><sheets><sheet name="S" sheetId="1" r:id="rId1"/>'
            "</sheets></workbook>",
        )
        zf.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<Relationships xmlns="{pkg}"><Relationship Id="rId1" Type="{rel}/worksheet" '
            'Target="worksheets/sheet1.xml"/></Relationships>',
        )
        with zf.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(f"<worksheet {ns}>".encode())
            if dimension:
                sheet.write(f'<dimension ref="A1:A{rows + 1}"/>'.encode())
            sheet.write(b'<sheetData><row><c t="inlineStr"><is><t>address</t></is></c></row>')
            block = ROW * 10_000
            for k in range(rows // 10_000):
                if varied:  # real data: every row its own (packs ~10:1, not ~1000:1)
                    block = b"".join(
                        f"<row><c><v>{i * 7919 % 1_000_003}</v></c></row>".encode()
                        for i in range(k * 10_000, (k + 1) * 10_000)
                    )
                sheet.write(block)
            sheet.write(b"</sheetData></worksheet>")
    return path


def _peak_bytes(fn) -> tuple[int, Exception | None]:
    """Peak Python memory allocated while fn() runs, and what it raised."""
    tracemalloc.start()
    raised = None
    try:
        fn()
    except Exception as exc:  # returned for the test to look at
        raised = exc
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak, raised


@pytest.fixture(scope="module")
def bomb(tmp_path_factory) -> Path:
    """2 million rows in about 200 KB (the issue's bomb: 3 M rows in 534 KB)."""
    return xlsx_bomb(tmp_path_factory.mktemp("bomb") / "bomb.xlsx", rows=2_000_000, dimension=True)


# --- sizes ---------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_an_honest_oversized_upload_is_413_before_any_byte_is_read(settings):
    settings.GRIDATLAS_BATCH_UPLOAD_MAX_BYTES = 10_000
    body = _multipart("big.csv", b"address\n" + "丽新街8号\n".encode() * 5_000)
    environ, stream = _environ("/api/lookup/batch", body)
    response = _served(environ)
    assert response.status_code == 413
    error = json.loads(response.content)
    assert "GRIDATLAS_BATCH_UPLOAD_MAX_BYTES" in error["error"] and error["limit_bytes"] == 10_000
    assert stream.consumed == 0, "the body was read before the refusal"
    # One within the limit goes on to the view (which answers it, whatever it says).
    environ, stream = _environ("/api/lookup/batch", _multipart("small.csv", b"address\n1\n"))
    assert _served(environ).status_code != 413 and stream.consumed > 0


def test_the_upload_handler_stops_reading_past_the_limit(settings):
    """No middleware here: the Content-Length gate is skipped, the streaming one must hold."""
    settings.GRIDATLAS_BATCH_UPLOAD_MAX_BYTES = 100_000
    body = _multipart("big.csv", os.urandom(2_000_000))
    environ, stream = _environ("/api/lookup/batch", body)
    request = WSGIRequest(environ)
    with pytest.raises(UploadTooLarge) as refused:
        request.FILES  # noqa: B018 - parsing is what is tested
    assert refused.value.details["limit_bytes"] == 100_000
    assert stream.consumed < len(body) / 4, (stream.consumed, len(body))


@pytest.mark.django_db
def test_the_import_page_answers_413_with_a_chinese_page(client, settings):
    settings.GRIDATLAS_IMPORT_UPLOAD_MAX_BYTES = 1024 * 1024
    response = client.post(
        "/import/",
        {"layer": "buildings", "file": io.BytesIO(b"x" * 1_100_000)},
        HTTP_ACCEPT="text/html,application/xhtml+xml",
    )
    assert response.status_code == 413
    text = response.content.decode()
    assert "文件超过 1 MB" in text, text
    assert response["Content-Type"].startswith("text/html")


# --- bombs ---------------------------------------------------------------------------------------
def test_an_xlsx_bomb_is_refused_from_its_zip_directory_at_low_memory(bomb):
    data = bomb.read_bytes()
    assert len(data) < 1_000_000
    peak, raised = _peak_bytes(lambda: table_read(data=data, filename="bomb.xlsx"))
    assert isinstance(raised, BadRequest), raised
    assert "zip bomb" in raised.message and "sheet1.xml" in raised.message
    assert peak < 20 * 1024 * 1024, f"{peak / 1e6:.0f} MB allocated"

    # A real table of half the cap passes the same guards (every row its own, packing ~10:1).
    path = xlsx_bomb(bomb.parent / "real.xlsx", rows=50_000, dimension=True, varied=True)
    table = table_read(data=path.read_bytes(), filename="real.xlsx")
    assert table.header == ["address"] and len(table.rows) == 50_000
    assert table.rows[1] == [str(7919)]


def test_an_xlsx_bomb_past_the_ratio_is_refused_by_its_row_count(bomb, settings):
    settings.GRIDATLAS_ZIP_MAX_RATIO = 1e9  # as if it packed like real data
    peak, raised = _peak_bytes(lambda: table_read(data=bomb.read_bytes(), filename="b.xlsx"))
    assert isinstance(raised, BadRequest), raised
    assert "more than 100,000 rows" in raised.message
    assert peak < 20 * 1024 * 1024, f"{peak / 1e6:.0f} MB allocated"


def test_an_xlsx_without_dimension_stops_at_the_row_cap(tmp_path, settings):
    settings.GRIDATLAS_ZIP_MAX_RATIO = 1e9
    settings.GRIDATLAS_BATCH_MAX_ROWS = 1_000
    path = xlsx_bomb(tmp_path / "nodim.xlsx", rows=500_000, dimension=False)
    peak, raised = _peak_bytes(lambda: table_read(data=path.read_bytes(), filename="n.xlsx"))
    assert isinstance(raised, BadRequest), raised
    assert "more than 1,000 rows" in raised.message
    # 500,000 rows as lists of strings would be ~100 MB; stopping at 1,001 keeps it small.
    assert peak < 10 * 1024 * 1024, f"{peak / 1e6:.0f} MB allocated"


def test_a_csv_stops_at_the_row_cap_while_streaming(settings):
    settings.GRIDATLAS_BATCH_MAX_ROWS = 1_000
    data = b"address,lon,lat\n" + b"x,114.3,30.6\n" * 400_000  # 5 MB, 400,000 rows
    peak, raised = _peak_bytes(lambda: table_read(data=data, filename="rows.csv"))
    assert isinstance(raised, BadRequest), raised
    assert "more than 1,000 rows" in raised.message
    # The text itself is ~5 MB; every row parsed first (the old code) was ~90 MB more.
    assert peak < 15 * 1024 * 1024, f"{peak / 1e6:.0f} MB allocated"


def _shapefile_zip_bomb(path: Path, unpacked: int) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open("bomb.shp", "w") as shp:
            for _ in range(unpacked >> 20):
                shp.write(bytes(1 << 20))
        zf.writestr("bomb.shx", bytes(100))
        zf.writestr("bomb.dbf", bytes(100))
    return path


def test_a_zip_bomb_shapefile_is_refused_before_it_is_unpacked(tmp_path):
    bomb_zip = _shapefile_zip_bomb(tmp_path / "bomb.zip", 256 << 20)
    assert bomb_zip.stat().st_size < 1_000_000
    peak, raised = _peak_bytes(lambda: source_read(path=bomb_zip))
    assert isinstance(raised, BadRequest), raised
    assert "zip bomb" in raised.message and "bomb.shp" in raised.message
    assert peak < 10 * 1024 * 1024


def test_an_archive_over_the_unpacked_total_is_refused(tmp_path, settings):
    settings.GRIDATLAS_ZIP_MAX_UNPACKED_BYTES = 1_000_000
    path = tmp_path / "big.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.shp", os.urandom(600_000))  # random: packs 1:1, no ratio alarm
        zf.writestr("a.dbf", os.urandom(600_000))
    with pytest.raises(BadRequest, match="would unpack to") as refused:
        source_read(path=path)
    assert refused.value.details["limit_bytes"] == 1_000_000


def test_an_xlsx_bomb_is_refused_by_the_importer_too(bomb):
    peak, raised = _peak_bytes(lambda: source_read(path=bomb))
    assert isinstance(raised, BadRequest), raised
    assert "zip bomb" in raised.message
    assert peak < 20 * 1024 * 1024


# --- the import folder ---------------------------------------------------------------------------
def test_the_import_folder_is_the_instances_own_under_var():
    from geo.settings import BASE_DIR, GRIDATLAS_IMPORT_UPLOAD_DIR

    assert Path(GRIDATLAS_IMPORT_UPLOAD_DIR).is_relative_to(BASE_DIR / "var")
    assert settings.GRIDATLAS_IMPORT_UPLOAD_MAX_AGE_S <= 3600


@pytest.mark.django_db
def test_import_uploads_are_private_and_old_ones_swept(client, settings, tmp_path):
    root = tmp_path / "var" / "uploads" / "import"
    settings.GRIDATLAS_IMPORT_UPLOAD_DIR = root
    hierarchy_make()
    user = get_user_model().objects.create_user("planner_u", password="pw-upload-1")
    user.user_permissions.add(Permission.objects.get(codename="change_parcel"))
    PlannerStreet.objects.bulk_create(
        PlannerStreet(user=user, street=s) for s in Street.objects.all()
    )
    client.force_login(user)
    stale, fresh = root / "stale-token", root / "fresh-token"
    for folder in (stale, fresh):
        folder.mkdir(parents=True)
        (folder / "old.geojson").write_text("{}")
    hours_ago = time.time() - settings.GRIDATLAS_IMPORT_UPLOAD_MAX_AGE_S - 60
    os.utime(stale, (hours_ago, hours_ago))
    path = corpus.geojson(corpus.building_frame(1), tmp_path / "b.geojson")
    with open(path, "rb") as f:
        response = client.post("/import/", {"layer": "buildings", "action": "check", "file": f})
    assert response.status_code == 200
    assert stat.S_IMODE(root.stat().st_mode) == 0o700
    kept = {p.name for p in root.iterdir()}
    assert "stale-token" not in kept and "fresh-token" in kept
    assert response.context["token"] in kept
