-- Rule 7, the derivation holds: a grid or micro-grid derived from parcels (geom_source =
-- 'parcels') whose polygon is not the union of its parcels — moved or redrawn by SQL, or left
-- behind by a refresh that did not run. The other rules' fast paths (the *_units.sql files)
-- assume this rule holds, so it is what reports such a unit.
-- Pre-filter, one aggregate over the parcels by the unit's key and one comparison per unit, no
-- overlay: a unit is a suspect when its area (planar, in degrees) is not its parcels' total to
-- 1e-9 of it (float noise; parcels do not overlap, so that total is their union's area), or its
-- extent is not theirs to 1e-9° (~0.1 mm; the union's vertices are the parcels' own), or it has
-- a polygon and no parcels or parcels and no polygon. Only suspects (none, on a sound city) get
-- the symmetric difference, which decides. A unit moved, grown, shrunk or with a vertex dragged
-- changes its extent or its area; only a reshaping that keeps both exactly would pass unseen.
-- scope_like: a LIKE pattern of the unit codes checked (a street or community code and a
-- wildcard, or a lone wildcard for the whole city); the prefix index on code answers it.
-- Slots: {unit}, the grid or micro-grid table; {pchild}, the parcel column naming it.
-- Parameters: metric_srid, tolerance_m (m), min_area_m2 (m²).
-- Returns: rule, codes (the unit), area_m2 (m², the significant symmetric difference), geom
-- (that difference, EPSG:4326).
WITH parcels AS (
  SELECT pa.{pchild} AS id, sum(ST_Area(pa.geom)) AS area, ST_Extent(pa.geom) AS box
    FROM layers_parcel pa
    JOIN {unit} u ON u.id = pa.{pchild}
   WHERE u.code LIKE %(scope_like)s AND u.geom_source = 'parcels'
   GROUP BY pa.{pchild}
), suspects AS (
  SELECT u.id, u.code, u.geom
    FROM {unit} u
    LEFT JOIN parcels p ON p.id = u.id
   WHERE u.code LIKE %(scope_like)s AND u.geom_source = 'parcels'
     AND CASE WHEN p.id IS NULL THEN u.geom IS NOT NULL  -- a polygon and no parcels
              ELSE u.geom IS NULL
                   OR abs(ST_Area(u.geom) - p.area) > 1e-9 * ST_Area(u.geom)
                   OR greatest(abs(ST_XMin(u.geom) - ST_XMin(p.box)),
                               abs(ST_YMin(u.geom) - ST_YMin(p.box)),
                               abs(ST_XMax(u.geom) - ST_XMax(p.box)),
                               abs(ST_YMax(u.geom) - ST_YMax(p.box))) > 1e-9 END
), differences AS (
  SELECT s.code,
         ga_significant_parts(
           CASE WHEN s.geom IS NULL THEN d.g
                WHEN d.g IS NULL THEN s.geom
                ELSE ST_SymDifference(s.geom, d.g) END,
           %(metric_srid)s, %(tolerance_m)s, %(min_area_m2)s) AS g
    FROM suspects s
    CROSS JOIN LATERAL (SELECT ST_Union(pa.geom) AS g FROM layers_parcel pa
                         WHERE pa.{pchild} = s.id) d
)
SELECT 'derivation' AS rule, ARRAY[code]::text[] AS codes, ST_Area(g::geography) AS area_m2,
       g AS geom
  FROM differences
 WHERE g IS NOT NULL
 ORDER BY code;
