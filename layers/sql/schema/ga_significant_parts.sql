-- ga_significant_parts(g geometry, metric_srid int, tolerance_m float8, min_area_m2 float8)
-- → geometry: the polygon parts of g that matter to a boundary rule, in g's SRID, or NULL.
-- A part matters when its area in metric_srid exceeds min_area_m2 (m²) and it is thicker than
-- twice tolerance_m (m): it survives an inward buffer of tolerance_m. Slivers along a shared edge
-- are noding noise or within the drawing tolerance. Only the small parts are projected, and made
-- valid after projecting: a polygon valid in degrees can self-intersect by nanometres in metres.
CREATE OR REPLACE FUNCTION ga_significant_parts(g geometry, metric_srid int,
                                                tolerance_m float8, min_area_m2 float8)
RETURNS geometry LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT ST_Multi(ST_Union(part))
    FROM (SELECT (ST_Dump(ST_CollectionExtract(g, 3))).geom AS part) parts,
         LATERAL (SELECT ST_MakeValid(ST_Transform(part, metric_srid)) AS m) projected
   WHERE ST_Area(m) > min_area_m2
     AND NOT ST_IsEmpty(ST_Buffer(m, -tolerance_m));
$$;
