"""The query string every analysis answer reads (the dashboard's filters), validated once into
an AnalysisQuery: the JSON views, the XLSX download, the heatmap and the offline report map all
parse it here, so a filter one of them shows is a filter every one of them follows."""

from dataclasses import dataclass

from geo.domain import code_parse, walk_distance_parse
from geo.errors import BadRequest
from geo.params import int_parse
from layers.analysis import Area, analysis_area, analysis_max_rows
from layers.analysis.coverage import BY, MODES, levels_parse


def choice_parse(name: str, raw: str | None, choices: tuple[str, ...], default: str) -> str:
    value = (raw or "").strip() or default
    if value not in choices:
        raise BadRequest(f"{name} must be one of {', '.join(choices)}, not {value!r}")
    return value


def _limit(raw: str | None) -> int:
    cap = analysis_max_rows()
    return int_parse((raw or "").strip(), name="limit", low=1, high=cap, default=cap)


@dataclass(frozen=True)
class AnalysisQuery:
    """The query string of an analysis request, validated once."""

    distance_m: float
    mode: str
    by: str
    levels: tuple[str, ...] | None
    district: str | None
    street: str | None
    limit: int  # the longest list an answer carries: the row cap unless the client asks fewer
    area: Area

    @classmethod
    def parse(cls, params) -> "AnalysisQuery":
        district = code_parse("district", params.get("district"))
        street = code_parse("street", params.get("street"))
        return cls(
            distance_m=walk_distance_parse(params.get("distance")),
            mode=choice_parse("mode", params.get("mode"), MODES, "straight"),
            by=choice_parse("by", params.get("by"), BY, "community"),
            levels=levels_parse(params.get("level")),
            district=district,
            street=street,
            limit=_limit(params.get("limit")),
            area=analysis_area(district_code=district, street_code=street),
        )

    def echo(self, *keys: str) -> dict:
        """The parsed parameters the answer depends on, as the client can re-send them."""
        values = {
            "distance_m": self.distance_m,
            "mode": self.mode,
            "by": self.by,
            "levels": list(self.levels) if self.levels else None,
            "limit": self.limit,
        }
        return {
            **{k: values[k] for k in keys},
            "district": self.district,
            "street": self.street,
        }
