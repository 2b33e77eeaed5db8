"""A committed, frozen demo city (fixtures/sample/): tests of later features (address corpora,
tile snapshots) need data that does not move when the generator is tuned.

    manage.py build_demo_city --scale tiny --seed 1 --dump-sample fixtures/sample/tiny_city.json
    manage.py build_demo_city --from-sample fixtures/sample/tiny_city.json --replace

Geometry is WKT in the metric CRS rounded to the millimetre: shared vertices round alike, so
the tiling stays exact. A list the sample lacks loads empty: a sample written before the city had
roads (the committed tiny_city.json) loads with no roads.
"""

import json
from pathlib import Path

import shapely

from .plan import PLAN_TABLES as TABLES
from .plan import CityPlan

SAMPLE_PATH = Path(__file__).resolve().parents[3] / "fixtures" / "sample" / "tiny_city.json"


def plan_dump(plan: CityPlan, path: Path, *, srid: int) -> None:
    def enc(v):
        return shapely.to_wkt(v, rounding_precision=3) if isinstance(v, shapely.Geometry) else v

    doc = {
        "meta": {
            "scale": plan.scale,
            "seed": plan.seed,
            "srid": srid,
            "credit": "division names and codes: Vonng/adcode, NBS 2016 (CC BY 4.0)",
        },
        **{t: [{k: enc(v) for k, v in rec.items()} for rec in getattr(plan, t)] for t in TABLES},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8"
    )


def plan_read(path: Path) -> tuple[CityPlan, int]:
    """The plan and the SRID its geometry is in."""
    doc = json.loads(Path(path).read_text(encoding="utf-8"))
    plan = CityPlan(scale=doc["meta"]["scale"], seed=doc["meta"]["seed"])
    for t in TABLES:
        recs = []
        for rec in doc.get(t, []):
            recs.append(
                {
                    k: (shapely.from_wkt(v) if k in ("geom", "where") and v else v)
                    for k, v in rec.items()
                }
            )
        setattr(plan, t, recs)
    return plan, doc["meta"]["srid"]
