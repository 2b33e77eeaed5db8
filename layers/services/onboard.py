"""Onboard a district from its own files (issue 15): every file of a folder or zip recognised as
a layer (layers.io.level_detect), imported in order — district, streets, communities, grids,
micro-grids, compounds and buildings, stations and units — in ONE transaction, then the boundary
rules checked over the district. One report (layers.services.onboard_report).

All or nothing: any file's errors roll back every file before it too, and the report names the
file and its rows; a dry run does everything, the check included, then rolls back. Each file is
imported by layer_import exactly as `import_layer` would (its own savepoint; the codes a local
system gives turned official against the county, rows of one code dissolved, slivers dropped,
parcels built), so a later file finds its parents among the rows the earlier ones wrote.

Only a user who may import every layer of every street may onboard (staff, or SYSTEM at the
command line): a district's files hold its districts and streets, which no planner imports.
"""

import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
from django.db import transaction

from geo.codes import LEVELS
from geo.division_list import DivisionEntry, counties_named, division, name_match, retired
from geo.errors import BadRequest, Forbidden
from layers.catalogue import LAYERS
from layers.io.division_checks import county_resolve
from layers.io.level_detect import ONBOARD_LAYERS, FileLevel, levels_recognised
from layers.io.onboard_files import files_read, folder_opened
from layers.permissions import SYSTEM, import_authorise
from layers.rules import boundary_violations
from layers.services.layer_import import layer_import
from layers.services.onboard_report import FileOutcome, OnboardReport

# progress(step, done, total): a step is "read", "recognise", "import" (before the
# transaction), a file's name, or "check".
Progress = Callable[[str, int, int], None] | None
# Levels whose official codes come from the national list, by the list's level names.
LISTED_LEVELS = {"street": "town", "community": "village"}


def onboard_authorise(*, user) -> None:
    """Forbidden unless `user` may import every layer onboarding writes, in every street."""
    try:
        scopes = [import_authorise(user=user, layer=layer) for layer in ONBOARD_LAYERS]
    except Forbidden as exc:
        raise Forbidden(
            f"onboarding a district imports all its layers, districts and streets included: only "
            f"staff may ({exc.message})"
        ) from None
    if any(scope.streets is not None for scope in scopes):
        raise Forbidden("onboarding a district imports every street: only staff may")


def onboard_allowed(user) -> bool:
    try:
        onboard_authorise(user=user)
    except Forbidden:
        return False
    return True


def district_onboard(
    *,
    path: Path,
    county: str | None = None,
    dry_run: bool = True,
    user=SYSTEM,
    given: dict[str, str] | None = None,
    code_map: dict[str, str] | None = None,
    progress: Progress = None,
) -> OnboardReport:
    """Onboard the folder or zip at `path` (see the module docstring). `county`: its 6-digit code
    or name (else the district file's); `given`: {file: layer} for files the evidence leaves
    open (`--as`); `code_map`: {code in a file: official code}, which wins over matching.
    Raises Forbidden for a user who may not onboard, BadRequest for a folder that cannot be
    onboarded as it is (a file unreadable, a level undecided, the county unknown), with the
    advice; an import's errors are in the report, and nothing is written."""
    onboard_authorise(user=user)
    report = OnboardReport(source=Path(path).name, dry_run=dry_run)
    clock = _Clock(report, progress)
    with folder_opened(path) as folder:
        with clock.step("read", 0, 2):
            files = files_read(folder)
        report.skipped = {f.name: f.skipped for f in files if f.source is None}
        with clock.step("recognise", 1, 2):
            levels = levels_recognised(files, given=given)
        if not levels:
            raise BadRequest(f"{report.source} holds no map layer: {_skipped_text(report)}")
        entry, report.county_how = _county(county, levels)
        report.county, report.county_name = entry.code, entry.name
        codes = {**_retired_mapped(levels, entry, report), **(code_map or {})}
        if progress:  # the last step a job can show until the transaction ends
            progress("import", 2, len(levels) + 3)
        with transaction.atomic():
            _imports(levels, entry, codes, user, report, clock)
            if report.failed_file is None:
                with clock.step("check", len(levels) + 2, len(levels) + 3):
                    _checked(report)
            keep = not dry_run and report.failed_file is None
            if not keep:
                transaction.set_rollback(True)
    report.written = keep
    if not keep:
        for f in report.files:
            if f.report is not None:
                f.report.written, f.report.dry_run = False, True
    return report


class _Clock:
    """Times each step into the report, and tells `progress` when one starts."""

    def __init__(self, report: OnboardReport, progress: Progress):
        self.report, self.progress = report, progress

    @contextmanager
    def step(self, name: str, done: int, total: int):
        if self.progress:
            self.progress(name, done, total)
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.report.steps[name] = time.perf_counter() - t0


def _imports(levels: list[FileLevel], county: DivisionEntry, codes, user, report, clock) -> None:
    """Each file in order until one fails; the rest are listed as not imported."""
    total = len(levels) + 3
    for n, level in enumerate(levels):
        outcome = FileOutcome(level.name, level.layer, level.how, level.field_map, level.rows)
        report.files.append(outcome)
        if report.failed_file is not None:
            continue
        with clock.step(level.name, n + 2, total):
            outcome.report = layer_import(
                layer=level.layer,
                path=level.path,
                field_map={header: column for column, header in level.field_map.items()},
                county=county.code,
                code_map=codes,
                dry_run=False,  # the outer transaction decides; later files need these rows
                user=user,
                source_name=level.name,
            )
        outcome.seconds = report.steps[level.name]


def _checked(report: OnboardReport) -> None:
    found = boundary_violations(scope=report.county, notices=True)
    report.checked = True
    for v in found:
        (report.notices if v.severity == "notice" else report.violations).append(
            {**v.as_dict(), "kind": v.kind}
        )


# --- the county ----------------------------------------------------------------------------


def _county(county: str | None, levels: list[FileLevel]) -> tuple[DivisionEntry, str]:
    """The county the files are of: `--county`, else the district file's code or name. A
    district file naming another county than `--county` is refused (the names would be matched
    in the wrong place)."""
    district = next((lv for lv in levels if lv.layer == "districts"), None)
    in_file = _county_in_file(district) if district else None
    if county:
        entry = county_resolve(county)
        if in_file and in_file.code != entry.code:
            raise BadRequest(
                f"--county {county} is {entry.code} {entry.name}, but {district.name} is "
                f"{in_file.code} {in_file.name}: give the county the files are of"
            )
        return entry, f"--county {county}"
    if in_file:
        return in_file, f"from {district.name}"
    raise BadRequest(
        "say which county the files are of: --county 420303 or --county 张湾区 (their streets "
        "and communities are matched by name against its divisions in the national list)"
    )


def _county_in_file(district: FileLevel) -> DivisionEntry | None:
    frame = district.file.source.frame
    code_h, name_h = district.field_map.get("code"), district.field_map.get("name")
    codes = {str(c).strip() for c in frame[code_h].dropna()} if code_h else set()
    for code in codes:
        entry = division(code)
        if entry is not None and entry.level == "county":
            return entry
    names = {str(n).strip() for n in frame[name_h].dropna()} if name_h else set()
    found = {e.code: e for n in names for e in counties_named(n)}
    return next(iter(found.values())) if len(found) == 1 else None


# --- retired codes -------------------------------------------------------------------------


def _retired_mapped(levels: list[FileLevel], county: DivisionEntry, report) -> dict[str, str]:
    """{retired code: current code} for official codes of streets and communities the 2023 list
    no longer has, where the file's name for the feature designates exactly one current division
    of the county (never certain and wrong: when several do, the import refuses the code, saying
    why; when none does, it keeps the code with a warning).
    Each one met is in the report."""
    out = {}
    for level in levels:
        code_level = LAYERS[level.layer].code_level
        if code_level not in LISTED_LEVELS or "code" not in level.field_map:
            continue
        frame = level.file.source.frame
        names = frame[level.field_map["name"]] if "name" in level.field_map else None
        for i, code in enumerate(frame[level.field_map["code"]].tolist()):
            code = str(code).strip() if code is not None and not pd.isna(code) else ""
            if len(code) != LEVELS[code_level].digits or (old := retired(code)) is None:
                continue
            name = str(names.iat[i]).strip() if names is not None else old.name
            m = name_match(name, level=LISTED_LEVELS[code_level], within=county.code)
            entry = {"file": level.name, "code": code, "was": old.name, "given_as": name}
            if m.status in ("exact", "variant"):
                out[code] = m.code
                now = division(m.code)
                entry["outcome"] = f"taken as {m.code} {now.name if now else ''}, by its name"
            elif m.status == "ambiguous":
                entry["outcome"] = f"several current divisions named {name}: refused"
            else:
                entry["outcome"] = (
                    f"no current division named {name}: kept as given, with a warning"
                )
            if entry not in report.retired:
                report.retired.append(entry)
    return out


def _skipped_text(report: OnboardReport) -> str:
    return "; ".join(f"{n} ({why})" for n, why in report.skipped.items()) or "no files"
