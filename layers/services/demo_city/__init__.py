"""The deterministic demo city: a Wuhan-like city with the real division names and codes, and
generated compounds, buildings, grids and services on a synthetic road network.

    plan = city_plan(scale="small", seed=42)      # pure: geometry and records, no database
    city_load(plan=plan, replace=True)             # one transaction, COPY, derived totals
"""

from .load import city_load
from .plan import SCALES, CityPlan, city_plan

__all__ = ["SCALES", "CityPlan", "city_load", "city_plan"]
