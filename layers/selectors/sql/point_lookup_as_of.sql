-- The grid and micro-grid a point was in on a date, from the snapshots of the revision in
-- effect then: per community, the latest effective_date <= at (ties: the higher number); a date
-- before every revision takes the community's first one (the baseline). Cancelled publishes
-- never count; a scheduled one counts for dates after today (the plan) but not for today or
-- earlier until it has taken effect, so "as of today" always equals the live layout.
-- Parameters: lon, lat (EPSG:4326 degrees), at (date), today (date).
-- Only communities with a snapshot covering the point are considered: a community never
-- published has no revision, and the caller answers from the live layout.
-- Returns rows: community_id, revision (number), effective_date, level, code, name, households,
-- building_count — one row per revision with no covering unit (level null), else per unit.
WITH p AS (
  SELECT ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326) AS geom
), hit AS (
  SELECT DISTINCT r.community_id
    FROM layers_layoutrevisiongrid s
    JOIN layers_layoutrevision r ON r.id = s.revision_id
   WHERE s.level = 'grid' AND ST_Covers(s.geom, (SELECT geom FROM p))
), rev AS (
  SELECT DISTINCT ON (r.community_id) r.id, r.number, r.effective_date, r.community_id
    FROM layers_layoutrevision r
    JOIN hit USING (community_id)
   WHERE r.cancelled_at IS NULL
     AND (r.applied_at IS NOT NULL OR r.effective_date > %(today)s)
   ORDER BY r.community_id, (r.effective_date <= %(at)s) DESC,
            CASE WHEN r.effective_date <= %(at)s THEN r.effective_date END DESC NULLS LAST,
            CASE WHEN r.effective_date <= %(at)s THEN -r.number ELSE r.number END
)
SELECT rev.community_id, rev.number, rev.effective_date, s.level, s.code, s.name,
       s.households, s.building_count
  FROM rev
  LEFT JOIN layers_layoutrevisiongrid s
    ON s.revision_id = rev.id AND ST_Covers(s.geom, (SELECT geom FROM p))
 ORDER BY s.code IS NULL, s.code, rev.community_id;
