"""A file's county and its official codes against the national division list (issue 15):
`--county` resolved to one county, and official codes the 2023 list no longer has refused
for features not yet stored, with the current division of the same name as the repair.
Shared by layers.io.code_resolve; pure but for one query of the stored codes.
"""

import functools
import re

import pandas as pd

from geo.codes import LEVELS, code_regex
from geo.division_list import (
    DivisionEntry,
    children,
    city_name,
    counties_named,
    division,
    name_match,
    retired,
)
from geo.errors import BadRequest
from layers.io.stored_codes import NAME_LEVEL, level_model
from layers.io.validate import ImportReport

LIST = "the 2023 national division list"


@functools.cache
def _pattern(level: str) -> re.Pattern:
    return re.compile(code_regex(level).strip("^$"))


def is_official(value, level: str) -> bool:
    """An official code of the level (its digits; geo.codes)."""
    return isinstance(value, str) and _pattern(level).fullmatch(value) is not None


def official_mask(values: pd.Series, level: str) -> pd.Series:
    return values.fillna("").astype(str).str.fullmatch(code_regex(level).strip("^$"))


def county_resolve(county: str | None) -> DivisionEntry | None:
    """The county a `--county` names (6-digit code or name); BadRequest saying what to give
    when it names none or several."""
    text = (county or "").strip()
    if not text:
        return None
    if text.isdigit():
        entry = division(text) if len(text) == LEVELS["district"].digits else None
        if entry is None:
            old = retired(text)
            why = (
                f"{old.name}'s code in the 2016 list, gone from {LIST}"
                if old
                else f"not a county code in {LIST}"
            )
            raise BadRequest(f"--county {text} is {why}: give a current 6-digit code, e.g. 420303")
        return entry
    found = counties_named(text)
    if len(found) == 1:
        return found[0]
    if not found:
        raise BadRequest(
            f"--county {text!r}: no county of that name in {LIST}; give its 6-digit code, "
            "e.g. --county 420303"
        )
    named = ", ".join(f"{e.code} {city_name(e.code) or ''}{e.name}" for e in found[:5])
    raise BadRequest(f"--county {text!r} names {len(found)} counties ({named}): give the code")


def retired_refuse(frame, level: str, report: ImportReport, county) -> None:
    """Refuse an official code the 2023 list no longer has, unless GridAtlas already stores a
    feature under it (a city kept its old codes: re-importing them is no new mistake)."""
    if level not in NAME_LEVEL:
        return
    given = frame["code"][official_mask(frame["code"], level)]
    old = {c: e for c in set(given) if (e := retired(c))}
    if not old:
        return
    stored = set(level_model(level).objects.filter(code__in=old).values_list("code", flat=True))
    names = frame["name"].tolist()
    for i, code in enumerate(frame["code"].tolist()):
        if code not in old or code in stored:
            continue
        name = names[i] or old[code].name
        now, named = _current_division(level, code, name, county)
        message = (
            f"{code} was the code of {old[code].name} in the 2016 division list and {LIST} no "
            "longer has it (renamed, merged or renumbered)"
        )
        if now or named or level == "district":
            # The division lives on under another code (the old one would be wrong; several
            # bear its name: which is not ours to guess), or a whole county was merged away.
            repair = (
                f"use {now.code} {now.name}, the current division of that name"
                if now
                else f"give its current code from {LIST}"
            )
            report.add(frame["_row"].iat[i], code, "retired_code", message, repair=repair)
        else:
            # A street or community no current division is named as: the district still uses
            # the old code (no other division holds it), so it is kept, and said.
            report.add(
                frame["_row"].iat[i],
                code,
                "retired_code",
                message + "; no current division has its name, so the code is kept as given",
                repair=f"check it, and give its current code from {LIST} if it has one",
                severity="warning",
            )


def _current_division(
    level: str, code: str, name: str, county
) -> tuple[DivisionEntry | None, bool]:
    """The one current division named `name` where the retired `code` was (for a district the
    counties of that name, for a street within `county` or the counties of the same city, for a
    community within its street (when current) or `county`), and whether any current division
    there bears the name (one, or several: then None and True)."""
    if level == "district":
        found = [e for e in counties_named(name) if e.code[:4] == code[:4]]
        return (found[0] if len(found) == 1 else None), bool(found)
    if level == "street":
        scopes = [county.code] if county else [e.code for e in children(code[:4])]
    else:
        scopes = [code[:9]] if division(code[:9]) else [county.code] if county else []
    codes, named = set(), False
    for scope in scopes:
        try:
            m = name_match(name, level=NAME_LEVEL[level], within=scope)
        except ValueError:
            continue
        named = named or m.status != "unmatched"
        if m.status in ("exact", "variant"):
            codes.add(m.code)
    return (division(codes.pop()) if len(codes) == 1 else None), named
