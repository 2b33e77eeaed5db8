"""The editor's compute-only endpoints (JSON): proposed layouts, "rebalance these two neighbours"
and "assign the unassigned". They answer proposals and parcel moves; nothing is saved — the
editor shows them as a diff and a commit (layers.editing.layout_api.commit) applies what the
planner keeps.

All need a user who may edit the community's layout (403 otherwise: layers.permissions), answer
404 for an unknown community and 400 with what is wrong for a bad body (unknown grid, grids that
are not neighbours, a parcel or grid of another community). A draft `assignment`, when given,
is {"<parcel id>": "<grid code>" | null} laid over the live grids: parcels it leaves out keep
their live grid.
"""

from dataclasses import dataclass

from django.views.decorators.http import require_POST

from geo.domain import LEVELS, grid_band, microgrid_band
from geo.errors import BadRequest
from geo.http import json_body, json_response
from geo.params import BIGINT_MAX, json_text, shown
from layers.selectors.layout_moves import (
    MovesAnswer,
    grids_rebalance,
    parcels_unassigned_assign,
)
from layers.selectors.parcel_graph import (
    grids_propose,
    microgrids_propose,
    proposal_outlines,
)
from layers.services.layouts import community_authorise

MAX_ALTERNATIVES = 3  # the editor offers up to three ranked alternatives (issue 6)
SEED_MAX = 2**32 - 1  # NumPy's random generators take seeds from 0 to 2**32 - 1
CODE_MAX_CHARS = LEVELS["microgrid"].digits  # the longest code a body names


@dataclass(frozen=True)
class ProposeRequest:
    kind: str  # "grids" | "microgrids"
    grid: str | None
    alternatives: int
    seed: int
    assignment: dict | None


def _body(request, code: str) -> dict:
    # Proposals serve an edit: only those who may edit the community's layout ask for them
    # (layers.permissions), and nothing costly is computed for anyone else.
    community_authorise(user=request.user, community_code=code)
    return json_body(request)


def _int(body: dict, key: str, default: int, lo: int | None = None, hi: int | None = None) -> int:
    value = body.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest(f"{key} must be an integer, not {shown(value)}")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise BadRequest(f"{key} must be between {lo} and {hi}, not {value}")
    return value


def _assignment(body: dict) -> dict | None:
    raw = body.get("assignment")
    if raw is None:
        return None
    shape = 'assignment must be an object {"<parcel id>": "<grid code>" or null}'
    if not isinstance(raw, dict):
        raise BadRequest(shape)
    for key, value in raw.items():
        # Parcel ids are bigint keys written in ASCII digits; codes are short strings.
        if not (key.isascii() and key.isdigit() and len(key) <= 19 and int(key) <= BIGINT_MAX):
            raise BadRequest(f"{shape}: {key[:40]!r} is not a parcel id")
        _code(value, name=f"assignment[{key}]", nullable=True)
    return raw


def _code(value, *, name: str, nullable: bool = False) -> str | None:
    return json_text(value, name=name, max_chars=CODE_MAX_CHARS, nullable=nullable)


def _grid_pair(body: dict) -> list[str]:
    raw = body.get("grids")
    if not isinstance(raw, list) or len(raw) != 2:
        raise BadRequest("grids must name two grid codes, [a, b]")
    return [_code(code, name=f"grids[{i}]") for i, code in enumerate(raw)]


def _propose_request(body: dict) -> ProposeRequest:
    kind = body.get("kind", "grids")
    if kind not in ("grids", "microgrids"):
        raise BadRequest(f'kind must be "grids" or "microgrids", not {str(kind)[:40]!r}')
    grid = body.get("grid")
    if kind == "microgrids" and not isinstance(grid, str):
        raise BadRequest('kind "microgrids" needs "grid": the code of the grid to divide')
    if kind == "microgrids":
        _code(grid, name="grid")
    return ProposeRequest(
        kind=kind,
        grid=grid if kind == "microgrids" else None,
        alternatives=_int(body, "alternatives", MAX_ALTERNATIVES, 1, MAX_ALTERNATIVES),
        seed=_int(body, "seed", 0, 0, SEED_MAX),
        assignment=_assignment(body),
    )


@require_POST
def propose(request, code: str):
    """POST {"kind": "grids"|"microgrids", "grid"?: code (microgrids), "alternatives"?: 1..3,
    "seed"?: int, "assignment"?: draft (microgrids: which parcels the grid holds)} →
    {"kind", "grid", "band": {"min", "max"}, "alternatives": [{"rank", "score", "metrics":
    {"groups", "groups_in_band", "max_deviation", "compounds_split", "contiguous"}, "problems":
    [str], "groups": [{"number", "households", "buildings", "parcels": [ids], "geometry":
    GeoJSON union of the parcels, EPSG:4326}]}]}, best first. Same seed, same answer."""
    ask = _propose_request(_body(request, code))
    if ask.kind == "grids":
        proposals = grids_propose(community_code=code, alternatives=ask.alternatives, seed=ask.seed)
    else:
        proposals = microgrids_propose(
            community_code=code,
            grid_code=ask.grid,
            assignment=ask.assignment,
            alternatives=ask.alternatives,
            seed=ask.seed,
        )
    return json_response(
        {
            "kind": ask.kind,
            "grid": ask.grid,
            "band": _band(ask.kind),
            "alternatives": [_alternative(p) for p in proposals],
        }
    )


def _band(kind: str) -> dict:
    band = microgrid_band() if kind == "microgrids" else grid_band()
    return band._asdict()


def _alternative(proposal) -> dict:
    outlines = proposal_outlines(proposal=proposal)
    m = proposal.metrics
    return {
        "rank": proposal.rank,
        "score": round(proposal.score, 4),
        "metrics": {
            "groups": m.groups,
            "groups_in_band": m.groups_in_band,
            "max_deviation": m.max_deviation,
            "compounds_split": m.compounds_split,
            "contiguous": m.contiguous,
        },
        "problems": proposal.problems,
        "groups": [
            {
                "number": g.number,
                "households": g.households,
                "buildings": g.building_count,
                "parcels": g.parcel_ids,
                "geometry": outlines.get(g.number),
            }
            for g in proposal.grids
        ],
    }


def _moves_response(answer: MovesAnswer):
    return json_response(
        {
            "moves": [{"parcel": m.parcel_id, "grid": m.grid_code} for m in answer.moves],
            "grids": [
                {
                    "code": g.code,
                    "households": g.households,
                    "buildings": g.building_count,
                    "in_band": g.in_band,
                }
                for g in answer.grids
            ],
            "problems": answer.problems,
        }
    )


@require_POST
def rebalance(request, code: str):
    """POST {"grids": [a, b], "assignment"?: draft, "seed"?: int} → {"moves": [{"parcel",
    "grid"}], "grids": [{"code", "households", "buildings", "in_band"}] (the two, after the
    moves), "problems": [str]}. Only the two grids' parcels move; both stay contiguous."""
    body = _body(request, code)
    answer = grids_rebalance(
        community_code=code,
        grid_codes=_grid_pair(body),
        assignment=_assignment(body),
        seed=_int(body, "seed", 0, 0, SEED_MAX),
    )
    return _moves_response(answer)


@require_POST
def assign_unassigned(request, code: str):
    """POST {"assignment"?: draft} → {"moves": [{"parcel", "grid"}], "grids": [...] (those that
    gained parcels, after the moves), "problems": [str]} — a pocket no grid touches is a problem
    ("an isolated pocket of N households at parcels {…}") and its parcels do not move."""
    body = _body(request, code)
    return _moves_response(
        parcels_unassigned_assign(community_code=code, assignment=_assignment(body))
    )
