-- Address search candidates (layers.selectors.address_search): the compounds and buildings a
-- parsed query may mean, with the raw features the Python scorer weighs. One statement.
-- Parameters (text unless said; NULL where the query did not say it):
--   text            the whole query, normalised and without city or district prefix
--   text_like       LIKE pattern: stored addresses that end with the whole query
--   compound        compound name with its phase, as typed (福恒花园二期)
--   compound_core   the name without its phase (福恒花园); NULL when no phase was typed
--   place           LIKE pattern of road and door number on the normalised address text
--   door_like       LIKE pattern of the road's last character and the door number: finds the
--                   door when the road was mistyped (used only when place finds nothing)
--   road            the road as typed: its characters rank the door_like matches
--   buildings (text[]) building numbers as typed (3, 12A, A): the current one, an old one
--                   (9栋(原5栋)) or both ends of a range (5栋到9栋); empty when none
--   knn (int)       nearest names taken from compound names, and as many from aliases
--   place_max (int) most addresses one place pattern contributes
-- Returns one row per candidate: the typed building in a candidate compound, a compound with no
-- such building (building columns NULL), a building outside compounds at the typed road and
-- door (compound columns NULL), or a building whose stored address ends with the whole query
-- at a boundary (exact: true; a reading that needs no parsing, for names that end in digits).
-- Each with its address text (a compound: that of its first building, and that building's
-- name), a point in EPSG:4326 degrees (the address point, or the compound's point on surface),
-- whether the compound's name (1) or an alias (0.9) is the whole query (0: neither), and
-- trigram similarities (0 to 1) of the typed name to the compound's name and aliases:
-- [similarity, word_similarity(typed in name), (name in typed)], the best of each over name
-- and aliases, for the full name and for the name without phase.
-- Each row also gives its community's id (the building's, else the compound's): its divisions
-- and a compound's grids come from address_context.sql, for the few candidates kept.
-- Indexes: GiST trigram on names and aliases (nearest by distance), GIN trigram on addresses.
WITH named AS (
  (SELECT x.id AS xiaoqu_id
     FROM layers_xiaoqu x
    WHERE %(compound)s::text IS NOT NULL
    ORDER BY x.name <-> %(compound)s::text
    LIMIT %(knn)s)
  UNION
  (SELECT a.xiaoqu_id
     FROM layers_compoundalias a
    WHERE %(compound)s::text IS NOT NULL
    ORDER BY a.alias <-> %(compound)s::text
    LIMIT %(knn)s)
), placed AS (
  SELECT a.building_id
    FROM layers_address a
   WHERE %(place)s::text IS NOT NULL AND a.normalized LIKE %(place)s::text
   LIMIT %(place_max)s
), near_door AS (
  -- One address per door (a compound's buildings share theirs), the doors whose text before
  -- the number shares most characters with the typed road first.
  SELECT d.building_id
    FROM (SELECT DISTINCT ON (k.door_key) a.building_id, o.shared
            FROM layers_address a
           CROSS JOIN LATERAL (
                 SELECT substring(a.normalized from '^(.*?[0-9]+号)') AS door_key) k
           CROSS JOIN LATERAL (
                 -- unnest of a constant array: the planner knows it is a few rows (a set
                 -- function estimated at hundreds pushes the cost over jit_above_cost, and
                 -- JIT compiling costs 50 ms, more than the whole query)
                 SELECT count(*) AS shared
                   FROM unnest(string_to_array(%(road)s::text, NULL)) ch
                  WHERE strpos(k.door_key, ch) > 0) o
           WHERE %(door_like)s::text IS NOT NULL
             AND NOT EXISTS (SELECT 1 FROM placed)
             AND a.normalized LIKE %(door_like)s::text
           ORDER BY k.door_key, a.id) d
   ORDER BY d.shared DESC
   LIMIT %(knn)s
), exact_hits AS (
  -- The whole query is the end of a stored address, starting after its district or door number
  -- (紫晴小区3栋 is, 小区3栋 is not): typed as written in the register.
  SELECT a.building_id
    FROM layers_address a
   WHERE %(text_like)s::text IS NOT NULL
     AND a.normalized LIKE %(text_like)s::text
     AND left(a.normalized, char_length(a.normalized) - char_length(%(text)s::text))
         ~ '(^|区|号)$'
   LIMIT 5
), found AS (
  SELECT building_id FROM placed
  UNION
  SELECT building_id FROM near_door
), compounds AS (
  SELECT xiaoqu_id FROM named
  UNION
  SELECT b.xiaoqu_id
    FROM found f JOIN layers_building b ON b.id = f.building_id
   WHERE b.xiaoqu_id IS NOT NULL
), candidates AS (
  -- The typed building in each candidate compound; the compound itself when it has none.
  SELECT c.xiaoqu_id, tb.id AS building_id, false AS exact
    FROM compounds c
    LEFT JOIN LATERAL (
          SELECT b.id
            FROM layers_building b
           WHERE b.xiaoqu_id = c.xiaoqu_id
             AND substring(b.name from '^([0-9A-Z]+)(?:栋|幢|座|号楼|号)$')
                 = ANY(%(buildings)s::text[])
         ) tb ON true
  UNION ALL
  -- Buildings outside compounds at the typed road and door (丽新街12号楼).
  SELECT NULL, b.id, false
    FROM found f JOIN layers_building b ON b.id = f.building_id
   WHERE b.xiaoqu_id IS NULL
  UNION ALL
  SELECT b.xiaoqu_id, b.id, true
    FROM exact_hits e JOIN layers_building b ON b.id = e.building_id
)
SELECT CASE WHEN b.id IS NULL THEN 'xiaoqu' ELSE 'building' END AS level,
       b.id AS building_id, b.code AS building_code, b.name AS building_name,
       b.units, b.floors,
       x.id AS xiaoqu_id, x.code AS xiaoqu_code, x.name AS xiaoqu_name,
       ad.text AS address, ad.building_name AS address_building_name,
       ST_X(pt.geom) AS lon, ST_Y(pt.geom) AS lat,
       c.exact, s.text_is_name, s.full_sims, s.core_sims,
       coalesce(b.community_id, x.community_id) AS community_id
  FROM candidates c
  LEFT JOIN layers_building b ON b.id = c.building_id
  LEFT JOIN layers_xiaoqu x ON x.id = c.xiaoqu_id
  LEFT JOIN LATERAL (
        SELECT a.text, a.geom, ab.name AS building_name
          FROM layers_address a JOIN layers_building ab ON ab.id = a.building_id
         WHERE a.building_id = coalesce(
                 b.id,
                 (SELECT fb.id FROM layers_building fb
                   WHERE fb.xiaoqu_id = x.id ORDER BY fb.code LIMIT 1))
         ORDER BY a.id
         LIMIT 1
       ) ad ON true
  CROSS JOIN LATERAL (
        SELECT CASE WHEN b.id IS NOT NULL
                    THEN coalesce(ad.geom, ST_PointOnSurface(b.geom))
                    ELSE ST_PointOnSurface(x.geom) END AS geom
       ) pt
  LEFT JOIN LATERAL (
        SELECT max(CASE WHEN n.name = %(text)s::text THEN n.w ELSE 0 END) AS text_is_name,
               ARRAY[max(n.w * similarity(n.name, %(compound)s::text)),
                     max(n.w * word_similarity(%(compound)s::text, n.name)),
                     max(n.w * word_similarity(n.name, %(compound)s::text))] AS full_sims,
               ARRAY[max(n.w * similarity(n.name, %(compound_core)s::text)),
                     max(n.w * word_similarity(%(compound_core)s::text, n.name)),
                     max(n.w * word_similarity(n.name, %(compound_core)s::text))] AS core_sims
          -- An alias counts a little less than the name: when one compound's alias is another
          -- compound's name (楚云小区), the one that bears the name comes first.
          FROM (SELECT x.name, 1.0::real AS w
                 UNION ALL
                SELECT al.alias, 0.9::real
                  FROM layers_compoundalias al WHERE al.xiaoqu_id = x.id) n
       ) s ON true
