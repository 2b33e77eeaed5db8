"""ga_significant_parts(g, metric_srid, tolerance_m, min_area_m2): the polygon parts of g that
matter to a boundary rule, in g's SRID, or NULL.

A part matters when it is larger than min_area_m2 and thicker than twice the tolerance (it
survives an inward buffer of tolerance_m): slivers along a shared edge are noding noise or
within the drawing tolerance of docs/design.md. The overlay that produced g runs in degrees on
geometries the CHECK constraints keep valid; only the small parts are projected, and made valid
after projecting, because a polygon valid in degrees can self-intersect by nanometres in metres.
"""

from django.db import migrations

FORWARD = r"""
CREATE OR REPLACE FUNCTION ga_significant_parts(g geometry, metric_srid int,
                                                tolerance_m float8, min_area_m2 float8)
RETURNS geometry LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT ST_Multi(ST_Union(part))
    FROM (SELECT (ST_Dump(ST_CollectionExtract(g, 3))).geom AS part) parts,
         LATERAL (SELECT ST_MakeValid(ST_Transform(part, metric_srid)) AS m) projected
   WHERE ST_Area(m) > min_area_m2
     AND NOT ST_IsEmpty(ST_Buffer(m, -tolerance_m));
$$;
"""
BACKWARD = "DROP FUNCTION IF EXISTS ga_significant_parts(geometry, int, float8, float8);"


class Migration(migrations.Migration):
    dependencies = [("layers", "0002_derived_totals")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
