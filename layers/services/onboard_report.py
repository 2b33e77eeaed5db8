"""The one report of a district's onboarding (layers.services.onboard): per file its layer and
how that was decided, the columns, what the import did (codes matched or generated, rows
dissolved, slivers dropped, notes, issues by row), the retired codes met, then the boundary check
of the district with the notices apart, and the time of every step.

Text for the command and the page, a dict (JSON) for `--json` and the job's summary.
"""

import json
from dataclasses import dataclass, field

from layers.io.validate import ImportReport


@dataclass
class FileOutcome:
    name: str
    layer: str
    how: list[str]
    field_map: dict[str, str]  # canonical column → header
    rows: int
    report: ImportReport | None = None  # None: not imported (an earlier file failed)
    seconds: float = 0.0

    @property
    def failed(self) -> bool:
        return self.report is not None and bool(self.report.error_count)

    def as_dict(self) -> dict:
        out = {k: v for k, v in self.__dict__.items() if k != "report"}
        out["seconds"] = round(self.seconds, 2)
        out["import"] = self.report.as_dict() if self.report else None
        return out


@dataclass
class OnboardReport:
    source: str
    dry_run: bool = True
    county: str = ""
    county_name: str = ""
    county_how: str = ""
    files: list[FileOutcome] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # file → why
    # Official codes from the 2016 list met in the files, and what they were taken as.
    retired: list[dict] = field(default_factory=list)
    violations: list[dict] = field(default_factory=list)
    notices: list[dict] = field(default_factory=list)
    checked: bool = False  # the boundary check ran (every file imported)
    steps: dict[str, float] = field(default_factory=dict)  # step → seconds
    written: bool = False

    @property
    def failed_file(self) -> FileOutcome | None:
        return next((f for f in self.files if f.failed), None)

    def as_dict(self) -> dict:
        """JSON-ready (a job's summary): row numbers read from files are NumPy integers."""
        out = {k: v for k, v in self.__dict__.items() if k != "files"}
        out["files"] = [f.as_dict() for f in self.files]
        out["steps"] = {k: round(v, 2) for k, v in self.steps.items()}
        failed = self.failed_file
        out["failed_file"] = failed.name if failed else None
        return json.loads(json.dumps(out, ensure_ascii=False, default=_plain))

    def as_text(self) -> str:
        lines = [
            f"Onboarding {self.source}: county {self.county} {self.county_name} ({self.county_how})"
        ]
        lines += [f"skipped {name}: {why}" for name, why in self.skipped.items()]
        for n, f in enumerate(self.files, 1):
            lines += _file_lines(n, len(self.files), f)
        lines += [
            f"retired code {r['code']} ({r['was']} in the 2016 list), given as {r['given_as']} "
            f"in {r['file']}: {r['outcome']}"
            for r in self.retired
        ]
        lines += self._check_lines()
        lines.append("time: " + ", ".join(f"{step} {s:.1f} s" for step, s in self.steps.items()))
        lines.append(self._verdict())
        return "\n".join(lines)

    def _check_lines(self) -> list[str]:
        if not self.checked:
            return []
        lines = [
            f"boundary check of district {self.county}: {len(self.violations)} violations, "
            f"{len(self.notices)} notices"
        ]
        lines += [f"  VIOLATION [{v['rule']}] {v['message']}" for v in self.violations]
        kinds: dict[str, int] = {}
        for v in self.notices:
            kinds[v["kind"] or v["rule"]] = kinds.get(v["kind"] or v["rule"], 0) + 1
        lines += [f"  notices {kind}: {n}" for kind, n in kinds.items()]
        return lines

    def _verdict(self) -> str:
        failed = self.failed_file
        if failed:
            return (
                f"REFUSED: {failed.name} has {failed.report.error_count} errors (listed above by "
                "row); nothing was written. Fix the file, or map its codes with --code-map, and "
                "run again"
            )
        if self.written:
            return f"written: {len(self.files)} files imported in one transaction"
        return "dry run: everything above was checked and rolled back; nothing written"


def _file_lines(n: int, total: int, f: FileOutcome) -> list[str]:
    head = f"[{n}/{total}] {f.name} → {f.layer}, {f.rows} rows"
    if f.report is None:
        return [head + ": not imported (an earlier file failed)"]
    lines = [f"{head} ({f.seconds:.1f} s)"]
    lines += [f"  decided by {how}" for how in f.how]
    r = f.report
    extra = []
    if r.code_map:
        extra.append(f"{len(r.code_map)} local codes turned official")
    unsure = sum(1 for i in r.issues if i.rule in ("code_match", "retired_code"))
    if unsure:
        extra.append(f"{unsure} codes not found (ambiguous, unmatched or retired: listed below)")
    if r.dissolved:
        extra.append(f"{r.dissolved} rows dissolved into features of the same code")
    if r.slivers_dropped:
        extra.append(f"{r.slivers_dropped} sliver parts dropped")
    if r.parcels:
        built = sum(1 for v in r.parcels.values() if not v.startswith("freehand"))
        extra.append(f"parcels built in {built} of {len(r.parcels)} communities")
    if extra:
        lines.append("  " + "; ".join(extra))
    lines += ["  " + line for line in r.as_text().splitlines()]
    return lines


def _plain(value):
    """NumPy scalars as Python numbers; anything else JSON does not know, as text."""
    return value.item() if hasattr(value, "item") else str(value)
