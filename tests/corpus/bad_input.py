"""The bad-input corpus: requests that must each get a working answer or a 4xx naming the
problem, and write nothing (tests/test_bad_input.py runs them on the tiny demo city).

A case is one request. `route` is the URL pattern as Django reports it (ResolverMatch.route):
tests/test_bad_input.py fails when a route of the URLconf has no case here, so a new route must
be given its cases. Paths may hold {placeholders} filled from the tiny city (see
`test_bad_input.places`). `role` is who asks: anonymous, staff (a superuser, so that a request
meant to test parsing is not refused for permission first) or planner (of the community's
street). `expect` is the status, or a tuple of acceptable statuses.

The probes every route gets where it has something to probe: NUL in each parameter and in the
path, non-ASCII digits (² passes str.isdigit() and fails int(); ١ passes int()), huge integers,
overflowing or vanishing floats, huge strings, JSON nested 1,000 deep, JSON of the wrong types.
The Django admin's routes are generated (one per registered model and view; see
`admin_cases`), as the admin is Django's code, registered model by model.
"""

import json
from dataclasses import dataclass, field

NUL = "\x00"
SUPERSCRIPT_TWO = "²"  # str.isdigit() is True, int() refuses it
ARABIC_ONE = "١"  # int() and float() accept it
HUGE_INT = "9" * 30  # beyond bigint
OVER_INT4 = 2**31  # beyond PostgreSQL integer
HUGE_TEXT = "x" * 100_000
TEN_MB = "名" * (10 * 1024 * 1024 // 3)  # a 10 MB name in UTF-8
DEEP_JSON = '{"a": ' + "[" * 1000 + "]" * 1000 + "}"


@dataclass(frozen=True)
class Case:
    route: str
    path: str
    expect: int | tuple[int, ...] = 400
    method: str = "GET"
    params: dict = field(default_factory=dict)  # query string
    form: dict | None = None  # POST form fields (urlencoded)
    body: object = None  # JSON (a str is sent as it is)
    files: dict | None = None  # multipart: {field: (filename, bytes)}
    role: str = "anonymous"
    note: str = ""

    @property
    def id(self) -> str:
        text = f"{self.method} {self.path} {self.note or self.params or ''}"
        return text.replace(NUL, "<NUL>")[:90]


def _get_probes(
    route: str, path: str, *, role="anonymous", ints=(), floats=(), texts=(), huge_text=400
):
    """The standard query-string probes of a GET route: NUL in every parameter named, the
    integer parameters with non-ASCII and huge digits, the floats overflowing, vanishing and not
    numbers, the texts huge (`huge_text`: the answer to those; a filter may match nothing)."""
    out = []
    for name in (*ints, *floats, *texts) or ("x",):
        out.append(Case(route, path, params={name: "1" + NUL}, role=role, note=f"NUL {name}"))
    for name in ints:
        for bad in (SUPERSCRIPT_TWO, ARABIC_ONE, HUGE_INT, "-" + HUGE_INT, "1.5"):
            out.append(Case(route, path, params={name: bad}, role=role, note=f"{name}={bad}"))
    for name in floats:
        for bad in ("1e309", "nan", "-inf", SUPERSCRIPT_TWO, "1e99999"):
            out.append(Case(route, path, params={name: bad}, role=role, note=f"{name}={bad}"))
        # Vanishingly small but a number: an answer, or a 400 where the parameter has a floor.
        out.append(
            Case(route, path, (200, 400), params={name: "1e-300"}, role=role, note=f"{name}=1e-300")
        )
    for name in texts:
        out.append(
            Case(route, path, huge_text, params={name: HUGE_TEXT}, role=role, note=f"huge {name}")
        )
    return out


def _json_probes(route: str, path: str, *, role: str, method="POST", fields=None):
    """JSON-body probes: deep, not an object, not JSON, NUL in a string, and per field the
    values of the wrong type given in `fields` {name: [bad values]}."""
    out = [
        Case(route, path, method=method, body=DEEP_JSON, role=role, note="deep JSON"),
        Case(route, path, method=method, body="[1, 2]", role=role, note="not an object"),
        Case(route, path, method=method, body="{nope", role=role, note="not JSON"),
        Case(
            route,
            path,
            (200, 400),  # an unknown key: ignored where the body needs nothing, else a 400
            method=method,
            body='{"a": "' + "9" * 5000 + '"}',
            role=role,
            note="long digits text",
        ),
        Case(
            route,
            path,
            method=method,
            body='{"a": ' + "9" * 5000 + "}",
            role=role,
            note="5000-digit integer",
        ),
        Case(route, path, method=method, body={"a": "x" + NUL}, role=role, note="NUL in JSON"),
    ]
    for name, values in (fields or {}).items():
        for value in values:
            shown = repr(value)[:30]
            out.append(
                Case(
                    route,
                    path,
                    method=method,
                    body={name: value},
                    role=role,
                    note=f"{name}={shown}",
                )
            )
    return out


EDIT = "api/edit/communities/<str:code>/"
COMMUNITY = "/api/edit/communities/{community}/"
MOVE = {"parcel": "{parcel}", "grid": "{grid}", "microgrid": None}

ANALYSIS_ROUTES = ("coverage", "coverage/uncovered", "organisation", "load", "pairing", "headline")


def hand_cases() -> list[Case]:
    c: list[Case] = []
    # --- pages and small endpoints ---------------------------------------------------------
    c += [
        Case("", "/", 200, note="the map page"),
        Case("", "/", params={"x": NUL}),
        Case("", "/" + NUL, note="NUL path"),
        Case("healthz", "/healthz", 200),
        Case("healthz", "/healthz", params={NUL: "1"}, note="NUL in a parameter's name"),
        Case("i18n/setlang/", "/i18n/setlang/", method="POST", form={"language": "en" + NUL}),
        Case(
            "i18n/setlang/",
            "/i18n/setlang/",
            302,
            method="POST",
            form={"language": HUGE_TEXT, "next": "/"},
        ),
        Case(
            "accounts/login/",
            "/accounts/login/",
            method="POST",
            form={"username": NUL, "password": "x"},
        ),
        Case("accounts/login/", "/accounts/login/", params={"next": "/" + NUL}),
        Case("accounts/logout/", "/accounts/logout/", method="POST", params={"next": NUL}),
        Case("edit/", "/edit/", params={"community": NUL}, role="planner"),
        Case("edit/", "/edit/", 200, params={"community": SUPERSCRIPT_TWO * 12}, role="planner"),
        Case("lookup/", "/lookup/", 200),
        Case("lookup/", "/lookup/", params={"q": NUL}),
        Case("dashboard/", "/dashboard/", 200),
        Case("dashboard/", "/dashboard/", params={"district": NUL}),
        Case("metrics", "/metrics", 200),
        Case("metrics", "/metrics", params={"x": NUL}),
        Case("tiles/style.json", "/tiles/style.json", 200),
        Case("tiles/style.json", "/tiles/style.json", params={"x": NUL}),
    ]
    c += _get_probes(
        "dashboard/report-map.html", "/dashboard/report-map.html", floats=("distance",)
    )
    c += _get_probes(
        "admin-context/outlines.geojson",
        "/admin-context/outlines.geojson",
        role="staff",
        floats=("resolution",),
        texts=("bbox",),
    )
    c += [
        Case(
            "admin-context/outlines.geojson",
            "/admin-context/outlines.geojson",
            role="staff",
            params={"bbox": "1e309,0,1,1"},
        ),
        Case(
            "admin-context/outlines.geojson",
            "/admin-context/outlines.geojson",
            role="staff",
            params={"bbox": f"{SUPERSCRIPT_TWO},0,1,1"},
        ),
        Case(
            "admin-context/outlines.geojson",
            "/admin-context/outlines.geojson",
            role="staff",
            params={"bbox": "nan,nan,nan,nan"},
        ),
    ]
    # --- the map's JSON API ----------------------------------------------------------------
    c += _get_probes("api/search", "/api/search", ints=("limit",), texts=("q",))
    c += [
        Case("api/search", "/api/search", 200, params={"q": "社区", "limit": "5"}),
        Case("api/search", "/api/search", params={"limit": "0"}),
    ]
    feature = "api/features/<str:kind>/<int:feature_id>"
    c += [
        Case(feature, "/api/features/grids/" + HUGE_INT, 404, note="id beyond bigint"),
        Case(feature, "/api/features/grids/9223372036854775808", 404, note="bigint + 1"),
        Case(feature, "/api/features/" + NUL + "/1", note="NUL kind"),
        Case(feature, "/api/features/" + "x" * 5000 + "/1", 404, note="huge kind"),
        Case(feature, "/api/features/grids/{grid_id}", 200),
    ]
    c += _get_probes("api/divisions", "/api/divisions", texts=("street",))
    c += [
        Case("api/divisions", "/api/divisions", params={"street": SUPERSCRIPT_TWO * 9}),
        Case("api/divisions", "/api/divisions", 200, params={"street": "{street}"}),
    ]
    export = "api/export/<slug:layer>.<slug:fmt>"
    c += _get_probes(
        export, "/api/export/grids.geojson", texts=("crs", "district", "street", "community")
    )
    c += [
        Case(export, "/api/export/grids.geojson", params={"crs": SUPERSCRIPT_TWO}),
        Case(export, "/api/export/grids.geojson", params={"crs": "45" + SUPERSCRIPT_TWO}),
        Case(export, "/api/export/grids.geojson", params={"crs": "EPSG:" + HUGE_INT}),
        Case(export, "/api/export/grids.geojson", params={"crs": ARABIC_ONE * 4}),
        Case(export, "/api/export/grids.geojson", params={"street": SUPERSCRIPT_TWO * 9}),
        Case(export, "/api/export/nolayer.geojson", 404),
        Case(export, "/api/export/grids.exe", 400),
        Case(
            export,
            "/api/export/grids.geojson",
            200,
            params={"crs": "EPSG:4547", "community": "{community}"},
        ),
    ]
    c += _get_probes("api/lookup", "/api/lookup", floats=("lon", "lat"), texts=("q", "crs", "at"))
    c += [
        Case("api/lookup", "/api/lookup", params={"lon": "114.3", "lat": "30.6", "crs": HUGE_TEXT}),
        Case(
            "api/lookup",
            "/api/lookup",
            params={"lon": "114.3", "lat": "30.6", "at": SUPERSCRIPT_TWO},
        ),
        Case(
            "api/lookup", "/api/lookup", params={"lon": "114.3", "lat": "30.6", "at": "99999-01-01"}
        ),
        Case("api/lookup", "/api/lookup", 200, params={"lon": "114.3", "lat": "30.6"}),
    ]
    batch = "api/lookup/batch"
    c += [
        Case(
            batch,
            "/api/lookup/batch",
            method="POST",
            role="staff",
            form={"crs": "wgs84"},
            note="no file",
        ),
        Case(
            batch,
            "/api/lookup/batch",
            method="POST",
            role="staff",
            form={"crs": NUL},
            files={"file": ("a.csv", b"lon,lat\n114.3,30.6\n")},
            note="NUL crs",
        ),
        Case(
            batch,
            "/api/lookup/batch",
            method="POST",
            role="staff",
            form={"crs": HUGE_TEXT, "format": "json"},
            expect=(400, 202),
            files={"file": ("a.csv", b"lon,lat\n114.3,30.6\n")},
            note="huge crs",
        ),
        Case(
            batch,
            "/api/lookup/batch",
            (200, 202),
            method="POST",
            role="staff",
            form={"format": "json"},
            files={"file": ("a.csv", b"lon,lat\n1e309,30.6\n" + HUGE_INT.encode() + b",1\n")},
            note="overflowing coordinates are unmatched rows",
        ),
        Case(
            batch,
            "/api/lookup/batch",
            (200, 202),
            method="POST",
            role="staff",
            form={"format": "json"},
            files={"file": ("a.csv", "地址\n".encode() + b"x" * 200_000 + b"\n")},
            note="a 200,000-character address",
        ),
        Case(
            batch,
            "/api/lookup/batch",
            (400, 202),  # read by the job (layers/jobs.py), which then fails with the reason
            method="POST",
            role="staff",
            form={"format": "json"},
            files={"file": ("a.csv", "地址\n".encode() + b"x" * 5_000_000 + b"\n")},
            note="a CSV field over the bound",
        ),
    ]
    job = "00000000-0000-4000-8000-000000000000"  # no such job
    c += [
        Case("api/jobs/<uuid:job_id>", f"/api/jobs/{job}", (401, 403)),
        Case("api/jobs/<uuid:job_id>", f"/api/jobs/{job}", 404, role="staff"),
        Case("api/jobs/<uuid:job_id>", f"/api/jobs/{job}", params={"x": NUL}, role="staff"),
        Case("api/jobs/<uuid:job_id>/result", f"/api/jobs/{job}/result", 404, role="staff"),
        Case(
            "api/jobs/<uuid:job_id>/result",
            f"/api/jobs/{job}/result",
            params={"x": NUL},
            role="staff",
        ),
    ]
    # --- analyses ---------------------------------------------------------------------------
    for name in ANALYSIS_ROUTES:
        route, path = f"api/analysis/{name}", f"/api/analysis/{name}"
        c += _get_probes(
            route,
            path,
            ints=("limit",),
            floats=("distance",),
            texts=("district", "street", "level", "by", "mode"),
        )
        c += [
            Case(route, path, params={"district": SUPERSCRIPT_TWO * 6}),
            Case(route, path, params={"street": ARABIC_ONE * 9}),
        ]
    c.append(Case("api/analysis/headline", "/api/analysis/headline", 200))
    c += _get_probes(
        "api/analysis/siting",
        "/api/analysis/siting",
        ints=("k",),
        floats=("distance",),
        texts=("candidates", "level"),
    )
    c += _get_probes(
        "api/analysis/report.xlsx",
        "/api/analysis/report.xlsx",
        ints=("limit",),
        floats=("distance",),
        texts=("by", "district"),
    )
    for ext in ("png", "json", "tif"):
        route, path = f"api/analysis/heatmap/<slug:kind>.{ext}", f"/api/analysis/heatmap/load.{ext}"
        c += _get_probes(route, path, floats=("cell", "distance"), texts=("mode",))
        c += [
            Case(route, f"/api/analysis/heatmap/nokind.{ext}", (400, 404)),
            Case(route, path, params={"cell": "1e300"}),
            Case(route, path, params={"cell": "1e-300"}, note="a 1e-300 m cell"),
        ]
    c.append(
        Case(
            "api/analysis/heatmap/<slug:kind>.json",
            "/api/analysis/heatmap/load.json",
            200,
            params={"cell": "250"},
        )
    )
    # --- staff pages ------------------------------------------------------------------------
    for route in ("check/", "check/violations.geojson"):
        # A street code that is no street's is a 404 (the check names divisions that exist).
        c += _get_probes(route, "/" + route, role="staff", texts=("street",), huge_text=(400, 404))
        c += [
            Case(
                route, "/" + route, (400, 404), role="staff", params={"street": SUPERSCRIPT_TWO * 9}
            ),
        ]
    # --- tiles ------------------------------------------------------------------------------
    tile = r"^tiles/(?P<layer>[A-Za-z0-9_-]+)/(?P<z>[^/]+)/(?P<x>[^/]+)/(?P<y>[^/.]+)\.mvt$"
    tilejson = r"^tiles/(?P<layer>[A-Za-z0-9_-]+)\.json$"
    c += [
        Case(tile, "/tiles/grids/14/13" + NUL + "/6", note="NUL x"),
        Case(tile, f"/tiles/grids/{SUPERSCRIPT_TWO}/0/0.mvt"),
        Case(tile, f"/tiles/grids/{ARABIC_ONE}/0/0.mvt"),
        Case(tile, f"/tiles/grids/14/{HUGE_INT}/0.mvt", (400, 404)),
        Case(tile, f"/tiles/grids/14/0/{'9' * 5000}.mvt", (400, 404)),
        Case(tile, "/tiles/grids/-1/0/0.mvt", (400, 404)),
        Case(tile, "/tiles/grids/ 1/0/0.mvt", note="a space before the zoom"),
        Case(tile, "/tiles/grids/12/3340/1686.mvt", (200, 204)),
        Case(tilejson, "/tiles/grids.json", 200),
        Case(tilejson, "/tiles/nolayer.json", 404),
        Case(tilejson, "/tiles/grids.json", params={"x": NUL}),
        Case(
            "tiles/fonts/<str:fontstack>/<str:glyph_range>.pbf",
            "/tiles/fonts/" + NUL + "/0-255.pbf",
        ),
        Case("tiles/fonts/<str:fontstack>/<str:glyph_range>.pbf", "/tiles/fonts/a/0-255.pbf", 404),
    ]
    # --- the editing API --------------------------------------------------------------------
    for tail in ("layout", "revisions", "editor.json"):
        route = EDIT + tail
        c += [
            Case(
                route, "/api/edit/communities/" + NUL + "/" + tail, role="planner", note="NUL code"
            ),
            Case(route, "/api/edit/communities/" + "9" * 5000 + "/" + tail, 404, role="planner"),
            Case(
                route, f"/api/edit/communities/{SUPERSCRIPT_TWO * 12}/{tail}", 404, role="planner"
            ),
            Case(route, COMMUNITY + tail, 200, role="planner"),
        ]
    diff = EDIT + "revisions/<int:a>/diff/<int:b>"
    c += [
        Case(diff, COMMUNITY + f"revisions/0/diff/{HUGE_INT}", (400, 404)),
        Case(diff, COMMUNITY + f"revisions/{2**31}/diff/0", (400, 404)),
        Case(diff, "/api/edit/communities/" + NUL + "/revisions/0/diff/0"),
    ]
    revert = EDIT + "revisions/<int:n>/revert"
    c += _json_probes(
        revert,
        COMMUNITY + "revisions/0/revert",
        role="staff",
        fields={"base_revision": [OVER_INT4, -1, "0", 1.5, True, None]},
    )
    c += [
        Case(
            revert,
            COMMUNITY + f"revisions/{HUGE_INT}/revert",
            (400, 404),
            method="POST",
            role="staff",
            body={"base_revision": 0, "effective_date": "2030-01-01"},
        ),
        Case(
            revert,
            COMMUNITY + "revisions/0/revert",
            method="POST",
            role="staff",
            body={"base_revision": 0, "effective_date": "2030-01-01", "reason": TEN_MB},
        ),
        Case(
            revert,
            COMMUNITY + "revisions/0/revert",
            method="POST",
            role="staff",
            body={"base_revision": 0, "effective_date": {"y": 2030}},
        ),
    ]
    cancel = EDIT + "revisions/<int:n>/cancel"
    c += [
        Case(
            cancel,
            COMMUNITY + f"revisions/{HUGE_INT}/cancel",
            (400, 404),
            method="POST",
            role="staff",
        ),
        Case(
            cancel, COMMUNITY + f"revisions/{2**31}/cancel", (400, 404), method="POST", role="staff"
        ),
        Case(
            cancel,
            "/api/edit/communities/" + NUL + "/revisions/1/cancel",
            method="POST",
            role="staff",
            note="NUL code",
        ),
        # Revision 0, the baseline, is in effect: nothing to cancel (or no revision yet: 404).
        Case(cancel, COMMUNITY + "revisions/0/cancel", (400, 404), method="POST", role="staff"),
    ]
    good_move = {"base_revision": 0, "moves": [MOVE]}
    commit = EDIT + "commit"
    c += _json_probes(
        commit,
        COMMUNITY + "commit",
        role="staff",
        fields={"base_revision": [OVER_INT4, 2**70, -1, "0", 1.5, [0]]},
    )
    c += [
        Case(
            commit,
            COMMUNITY + "commit",
            method="POST",
            role="staff",
            note=note,
            body={**good_move, **extra},
        )
        for note, extra in (
            ("grid as object", {"moves": [{**MOVE, "grid": {"code": "x"}}]}),
            ("grid as number", {"moves": [{**MOVE, "grid": 5}]}),
            ("grid huge", {"moves": [{**MOVE, "grid": "9" * 100_000}]}),
            ("microgrid as list", {"moves": [{**MOVE, "microgrid": ["a"]}]}),
            ("parcel beyond bigint", {"moves": [{**MOVE, "parcel": 2**70}]}),
            ("parcel negative", {"moves": [{**MOVE, "parcel": -1}]}),
            ("parcel as float", {"moves": [{**MOVE, "parcel": 1.0}]}),
            ("moves as object", {"moves": {"a": 1}}),
            ("new grid 10 MB name", {"new_grids": [{"code": "{grid}", "name": TEN_MB}]}),
            ("new grid code object", {"new_grids": [{"code": {"a": 1}, "name": "n"}]}),
            ("new grid name object", {"new_grids": [{"code": "x", "name": {"a": 1}}]}),
            ("band reason 10 MB", {"band_reason": TEN_MB}),
            ("band reason object", {"band_reason": {"a": 1}}),
            ("date non-ASCII", {"effective_date": "２０３０-01-01"}),
            ("date as number", {"effective_date": 20300101}),
            ("date year 0", {"effective_date": "0000-01-01"}),
        )
    ]
    draft = EDIT + "draft"
    c += _json_probes(
        draft,
        COMMUNITY + "draft",
        role="staff",
        method="PUT",
        fields={"base_revision": [OVER_INT4, -1, "0"], "moves": ["x", {}]},
    )
    c += [
        Case(
            draft,
            COMMUNITY + "draft",
            method="PUT",
            role="staff",
            note="grid as object",
            body={**good_move, "moves": [{**MOVE, "grid": {"code": "x"}}]},
        ),
        Case(
            draft,
            COMMUNITY + "draft",
            method="PUT",
            role="staff",
            note="10 MB name",
            body={**good_move, "new_grids": [{"code": "{grid}", "name": TEN_MB}]},
        ),
        Case(draft, "/api/edit/communities/" + NUL + "/draft", role="staff"),
        Case(draft, COMMUNITY + "draft", 200, role="staff"),
        Case(draft, COMMUNITY + "draft", 405, method="PATCH", role="staff"),
    ]
    publish = EDIT + "publish"
    c += _json_probes(
        publish,
        COMMUNITY + "publish",
        role="staff",
        fields={
            "effective_date": [5, "²", "2030-13-01", [], "9" * 5000],
            "band_reason": [TEN_MB, {"a": 1}],
        },
    )
    cut = EDIT + "cut"
    line = {"type": "LineString"}
    c += _json_probes(
        cut,
        COMMUNITY + "cut",
        role="staff",
        fields={"line": ["x", [], {"type": "Point", "coordinates": [1, 2]}]},
    )
    c += [
        Case(
            cut,
            COMMUNITY + "cut",
            method="POST",
            role="staff",
            note=note,
            body={"line": {**line, "coordinates": coords}},
        )
        for note, coords in (
            ("1e30 coordinates", [[1e30, 1e30], [-1e30, 30.6]]),
            ("out of range degrees", [[500, 30.6], [114.3, 95]]),
            ("text coordinates", [["114.3", "30.6"], ["114.4", "30.6"]]),
            ("3 numbers a point", [[114.3, 30.6, 5], [114.4, 30.6, 5]]),
            ("one number a point", [[114.3], [114.4]]),
            ("nested objects", [[{"a": 1}, 2], [3, 4]]),
            ("100,000 points", [[114.3, 30.6]] * 100_000),
        )
    ]
    c.append(
        Case(
            cut,
            COMMUNITY + "cut",
            method="POST",
            role="staff",
            note="NaN",
            body='{"line": {"type": "LineString", "coordinates": [[NaN, 1], [2, 3]]}}',
        )
    )
    propose = EDIT + "propose"
    c += _json_probes(
        propose,
        COMMUNITY + "propose",
        role="staff",
        fields={
            "seed": [-1, 2**70, "1", 1.5, True],
            "alternatives": [0, 2**70, "3"],
            "kind": [{"a": 1}, ["grids"], "x" * 100_000],
            "assignment": ["x", [1, 2]],
        },
    )
    c += [
        Case(propose, COMMUNITY + "propose", method="POST", role="staff", note=note, body=body)
        for note, body in (
            ("microgrids grid object", {"kind": "microgrids", "grid": {"a": 1}}),
            ("microgrids grid huge", {"kind": "microgrids", "grid": "9" * 100_000}),
            (
                "assignment key text",
                {"kind": "microgrids", "grid": "{grid}", "assignment": {"abc": "{grid}"}},
            ),
            (
                "assignment key huge",
                {"kind": "microgrids", "grid": "{grid}", "assignment": {HUGE_INT: "{grid}"}},
            ),
            (
                "assignment value object",
                {"kind": "microgrids", "grid": "{grid}", "assignment": {"{parcel}": {"a": 1}}},
            ),
        )
    ]
    c.append(Case(propose, COMMUNITY + "propose", 403, method="POST", body={}, note="anonymous"))
    rebalance = EDIT + "rebalance"
    c += _json_probes(
        rebalance,
        COMMUNITY + "rebalance",
        role="staff",
        fields={
            "grids": ["x", {"a": 1}, [1, 2], ["x" * 100_000, "y"], [None, None]],
            "seed": [-1, 2**70],
            "assignment": [[1]],
        },
    )
    assign = EDIT + "assign-unassigned"
    c += _json_probes(
        assign,
        COMMUNITY + "assign-unassigned",
        role="staff",
        fields={
            "assignment": [
                [1],
                "x",
                {"abc": "x"},
                {HUGE_INT: None},
                {"{parcel}": 5},
                {"{parcel}": {"a": 1}},
            ]
        },
    )
    c.append(
        Case(assign, COMMUNITY + "assign-unassigned", 200, method="POST", role="staff", body={})
    )
    # Building a freehand community's parcels: no body; a layout of parcels already is a 400.
    parcelise = EDIT + "parcelise"
    c += [
        Case(parcelise, COMMUNITY + "parcelise", 403, method="POST", note="anonymous"),
        Case(parcelise, COMMUNITY + "parcelise", 405, role="staff", note="GET"),
        Case(parcelise, COMMUNITY + "parcelise", 400, method="POST", role="staff", note="parcels"),
        Case(
            parcelise,
            "/api/edit/communities/" + HUGE_INT + "/parcelise",
            404,
            method="POST",
            role="staff",
        ),
        Case(
            parcelise,
            "/api/edit/communities/" + NUL + "/parcelise",
            method="POST",
            role="staff",
            note="NUL code",
        ),
    ]
    # --- import page ------------------------------------------------------------------------
    c += import_cases()
    c += onboard_cases()
    # --- OGC API Features -------------------------------------------------------------------
    c += ogc_cases()
    return c


def _csv(text: str) -> bytes:
    return text.encode()


def import_cases() -> list[Case]:
    """The import page answers 400 with its form for an unreadable request, and 200 with a
    report (errors listed, nothing written) for a file it can read but not accept."""
    route = "import/"
    form = {"action": "check", "layer": "stations", "crs": "", "encoding": "", "field_map": ""}
    station = "code,name,level,经度,纬度\n"
    return [
        Case(
            route,
            "/import/",
            method="POST",
            role="planner",
            note="NUL layer",
            form={**form, "layer": "stations" + NUL},
        ),
        Case(
            route,
            "/import/",
            method="POST",
            role="planner",
            note="NUL crs",
            form={**form, "crs": NUL},
            files={"file": ("a.csv", _csv(station))},
        ),
        Case(
            route,
            "/import/",
            method="POST",
            role="planner",
            note="huge field map",
            form={**form, "field_map": "a=" + "b" * 100_000},
            files={"file": ("a.csv", _csv(station))},
        ),
        Case(
            route,
            "/import/",
            method="POST",
            role="planner",
            note="code map naming a server file",
            form={**form, "code_map": "/etc/passwd"},
            files={"file": ("a.csv", _csv(station))},
        ),
        Case(
            route,
            "/import/",
            method="POST",
            role="planner",
            note="county in no list",
            form={**form, "county": "999999"},
            files={"file": ("a.csv", _csv(station))},
        ),
        Case(
            route,
            "/import/",
            method="POST",
            role="planner",
            note="unknown encoding",
            form={**form, "encoding": "x" * 1000},
            files={"file": ("a.csv", _csv(station))},
        ),
        Case(
            route,
            "/import/",
            200,
            method="POST",
            role="planner",
            note="1e30 coordinates with crs=EPSG:4547",
            form={**form, "layer": "buildings", "crs": "EPSG:4547"},
            files={
                "file": (
                    "a.csv",
                    _csv(
                        'code,households,wkt\n{community}0001,5,"POLYGON ((1e30 1e30, '
                        '2e30 1e30, 2e30 2e30, 1e30 1e30))"\n'
                    ),
                )
            },
        ),
        Case(
            route,
            "/import/",
            200,
            method="POST",
            role="planner",
            note="overflowing lon/lat",
            files={"file": ("a.csv", _csv(station + "1,a,street,1e309,-1e309\n"))},
            form=form,
        ),
        Case(
            route,
            "/import/",
            200,
            method="POST",
            role="planner",
            note="a CSV field over 131,072 characters",
            files={
                "file": ("a.csv", _csv(station + "1," + "名" * 140_000 + ",street,114.3,30.6\n"))
            },
            form=form,
        ),
        Case(
            route,
            "/import/",
            200,
            method="POST",
            role="planner",
            note="3D WKT",
            form={**form, "layer": "buildings"},
            files={
                "file": (
                    "a.csv",
                    _csv(
                        "code,wkt\n1,POLYGON Z ((114.3 30.6 5, 114.3001 30.6 5, "
                        "114.3001 30.6001 5, 114.3 30.6 5))\n"
                    ),
                )
            },
        ),
    ]


def onboard_cases() -> list[Case]:
    """Onboarding a district (staff): the upload is refused with its form and the reason before
    any job is queued; a job page answers 404 for a job that is not the user's."""
    route, page = "import/onboard", "import/onboard/<uuid:job_id>"
    form = {"county": "", "code_map": ""}
    notzip = {"file": ("district.csv", _csv("code,name\n1,a\n"))}
    damaged = {"file": ("district.zip", b"PK\x03\x04" + b"x" * 200)}
    job = "/import/onboard/00000000-0000-0000-0000-000000000000"
    return [
        Case(route, "/import/onboard", method="POST", role="staff", form=form, note="no file"),
        Case(route, "/import/onboard", method="POST", role="staff", form=form, files=notzip),
        Case(route, "/import/onboard", method="POST", role="staff", form=form, files=damaged),
        Case(
            route,
            "/import/onboard",
            method="POST",
            role="staff",
            form={**form, "county": NUL},
            files=damaged,
            note="NUL county",
        ),
        Case(
            route,
            "/import/onboard",
            method="POST",
            role="staff",
            form={**form, "county": "x" * 1000},
            files=damaged,
            note="unknown county",
        ),
        Case(
            route,
            "/import/onboard",
            method="POST",
            role="staff",
            form={**form, "code_map": "SQ-3"},
            files=damaged,
            note="malformed code map",
        ),
        Case(route, "/import/onboard", 403, method="POST", role="planner", form=form, files=notzip),
        Case(route, "/import/onboard", 405, role="staff", note="GET"),
        Case(page, job, 404, role="staff"),
        Case(page, job, role="staff", params={"x": NUL}, note="NUL x"),
        Case(page, job, 302, note="anonymous: sign in"),
    ]


def ogc_cases() -> list[Case]:
    items = "ogc/collections/<str:collection_id>/items"
    item = "ogc/collections/<str:collection_id>/items/<str:feature_id>"
    collection = "ogc/collections/<str:collection_id>"
    out = [
        Case("ogc", "/ogc", 200),
        Case("ogc", "/ogc", params={"f": NUL}),
        Case("ogc/", "/ogc/", 200),
        Case("ogc/", "/ogc/", params={NUL: ""}),
        Case("ogc/conformance", "/ogc/conformance", 200),
        Case("ogc/conformance", "/ogc/conformance", params={"x": NUL}),
        Case("ogc/openapi", "/ogc/openapi", 200),
        Case("ogc/openapi", "/ogc/openapi", params={"x": NUL}),
        Case("ogc/collections", "/ogc/collections", 200),
        Case("ogc/collections", "/ogc/collections", params={"x": NUL}),
        Case(collection, "/ogc/collections/" + NUL),
        Case(collection, "/ogc/collections/" + "x" * 10_000, 404),
        Case(collection, "/ogc/collections/grids", 200),
    ]
    out += _get_probes(
        items,
        "/ogc/collections/grids/items",
        ints=("limit", "offset"),
        texts=("name", "code"),
        huge_text=200,
    )
    out.append(Case(items, "/ogc/collections/grids/items", params={"bbox": HUGE_TEXT}))
    out += [
        Case(items, "/ogc/collections/grids/items", params={"offset": str(2**63)}),
        Case(items, "/ogc/collections/grids/items", 200, params={"offset": str(2**63 - 101)}),
        Case(
            items,
            "/ogc/collections/grids/items",
            200,
            params={"limit": HUGE_INT[:12]},
            note="a limit above the maximum is cut to it",
        ),
        Case(items, "/ogc/collections/grids/items", params={"households": HUGE_INT}),
        Case(items, "/ogc/collections/grids/items", params={"households": str(2**31)}),
        Case(items, "/ogc/collections/grids/items", params={"households": SUPERSCRIPT_TWO}),
        Case(items, "/ogc/collections/grids/items", params={"bbox": "1e309,0,1,1"}),
        Case(items, "/ogc/collections/grids/items", params={"bbox": "nan,nan,nan,nan"}),
        Case(items, "/ogc/collections/grids/items", params={"bbox": "1,2,3"}),
        Case(items, "/ogc/collections/pairings/items", params={"since": "x"}),
        Case(items, "/ogc/collections/pairings/items", params={"since": "2020-02-30"}),
        Case(items, "/ogc/collections/pairings/items", 200, params={"since": "2020-01-01"}),
        Case(items, "/ogc/collections/grids/items", 200, params={"code": "x" * 10_000}),
        Case(items, "/ogc/collections/grids/items", 200, params={"code": "{grid}"}),
        Case(items, "/ogc/collections/" + NUL + "/items"),
    ]
    for fid in (SUPERSCRIPT_TWO, ARABIC_ONE, HUGE_INT, str(2**63), "-1", "x" * 10_000):
        out.append(Case(item, "/ogc/collections/grids/items/" + fid, 404, note=f"id {fid[:20]}"))
    out += [
        Case(item, "/ogc/collections/grids/items/" + NUL),
        Case(item, "/ogc/collections/grids/items/{grid_id}", 200),
    ]
    return out


def admin_path(route: str) -> str:
    """A path that the admin route pattern `route` resolves."""
    import re

    path = route.replace("<path:object_id>", "1").replace("<path:content_type_id>", "1")
    path = re.sub(r"\(\?P<app_label>([a-z_]+)[^)]*\)", r"\1", path)
    path = path.replace("(?P<url>.*)", "nowhere")
    return "/" + path.replace("^", "").replace("$", "")


PROBED_CHANGELISTS = ("admin/layers/grid/", "admin/layers/building/", "admin/auth/user/")


def admin_cases(routes: list[str]) -> list[Case]:
    """Every admin route: NUL in its object id where it has one, else in a query parameter (the
    path and the query are each refused by the same middleware on every route, so one probe per
    admin route proves it stands in front of the admin). The changelists of PROBED_CHANGELISTS
    also get a huge search, a page and an ordering in ² and an id beyond bigint (Django's own
    parsing; one changelist page costs a second or more, so not every model's)."""
    out = []
    for route in routes:
        path = admin_path(route)
        if "<path:object_id>" in route:
            nul_path = route.replace("<path:object_id>", "1" + NUL).replace(
                "<path:content_type_id>", "1"
            )
            out.append(Case(route, "/" + nul_path, role="staff", note="NUL id"))
        else:
            out.append(Case(route, path, params={"q": NUL}, role="staff", note="NUL q"))
        if route in PROBED_CHANGELISTS:
            expect = (200, 302)  # a changelist (302 for Django's ?e=1 on a bad lookup)
            for params in (
                {"q": HUGE_TEXT},
                {"p": SUPERSCRIPT_TWO},
                {"o": SUPERSCRIPT_TWO},
                {"id__exact": HUGE_INT},
            ):
                out.append(
                    Case(
                        route,
                        path,
                        expect,
                        params=params,
                        role="staff",
                        note=json.dumps(params)[:30],
                    )
                )
    return out
