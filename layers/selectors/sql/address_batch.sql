-- The batch lookup's address fast path (layers.selectors.address_batch): for many parsed
-- addresses of the plain form compound + building at once, what address_search.sql would gather
-- for each, reduced to what decides whether the answer is certain. One statement per batch.
-- Parameters:
--   names (text[])        the distinct typed compound names, with their phase (福恒花园二期)
--   cores (text[])        each name without its phase (福恒花园), NULL when no phase was typed
--   names_like (text[])   each name as a LIKE pattern of text holding it ('%%name%%', escaped)
--   row_name (int[])      per address row: its name, as a 1-based index into names
--   row_building (text[]) per address row: the typed building number (3, 12A)
--   row_text (text[])     per address row: the normalised query (ParsedAddress.normalized)
--   knn (int)             nearest names taken from compound names, and as many from aliases
-- Returns rows of two kinds:
--   kind 'row' (per address row i and each compound its name is the name or an alias of): that
--     compound (xiaoqu_id, name, code), how many of its buildings carry the typed
--     number (matches) and, for the first, its id, code, name, units, floors, address text and
--     point (EPSG:4326: the address point, else a point on the building), and the buildings
--     whose stored address ends with the whole query at a boundary (exact: the `exact_hits` of
--     address_search.sql, which score 1 whatever the name), and whether the whole query is
--     some compound's name or alias (text_is_a_name);
--   kind 'numbers' (each compound among the nearest names): its buildings' numbers;
--   kind 'building' (each building of an `exact` list): its fields as in a 'row';
--   kind 'name' (per name k and each compound among its nearest names and aliases, as
--     address_search.sql's `named`): the trigram similarities address_search.sql gives that
--     compound for the name, [similarity, typed in name, name in typed], for the full name and
--     for the core (aliases weigh 0.9).
WITH n AS (
  SELECT *
    FROM unnest(%(names)s::text[], %(cores)s::text[], %(names_like)s::text[])
         WITH ORDINALITY AS n(name, core, name_like, k)
), r AS (
  SELECT *
    FROM unnest(%(row_name)s::int[], %(row_building)s::text[], %(row_text)s::text[])
         WITH ORDINALITY AS r(k, building, text, i)
), every_name AS MATERIALIZED (
  -- Names and aliases, materialised: joined by hashing, not by an index probe per name.
  SELECT id AS xiaoqu_id, name::text FROM layers_xiaoqu
  UNION ALL
  SELECT xiaoqu_id, alias::text FROM layers_compoundalias
), owner AS (
  -- The compounds a name is the name or an alias of (two compounds may share a name).
  SELECT DISTINCT n.k, o.xiaoqu_id
    FROM n
    JOIN every_name o ON o.name = n.name
), numbered AS (
  SELECT b.id, b.xiaoqu_id, substring(b.name from '^([0-9A-Z]+)(?:栋|幢|座|号楼|号)$') AS number
    FROM layers_building b
   WHERE b.xiaoqu_id IN (SELECT xiaoqu_id FROM owner)
), target AS (
  SELECT r.i, o.xiaoqu_id, count(nb.id) AS matches, min(nb.id) AS building_id
    FROM r
    JOIN owner o ON o.k = r.k
    LEFT JOIN numbered nb ON nb.xiaoqu_id = o.xiaoqu_id AND nb.number = r.building
   GROUP BY r.i, o.xiaoqu_id
), named_addresses AS MATERIALIZED (
  -- The stored addresses holding a typed name (an address that ends with a query holds its
  -- name): a trigram index scan per name, not per row.
  SELECT n.k, a.building_id, a.normalized
    FROM n
    JOIN layers_address a ON a.normalized LIKE n.name_like
), exact AS MATERIALIZED (
  SELECT r.i, array_agg(DISTINCT a.building_id) AS buildings
    FROM r
    JOIN named_addresses a ON a.k = r.k
   WHERE char_length(r.text) >= 3
     AND right(a.normalized, char_length(r.text)) = r.text
     AND left(a.normalized, char_length(a.normalized) - char_length(r.text)) ~ '(^|区|号)$'
   GROUP BY r.i
), near AS (
  SELECT n.k, n.name, n.core, nn.xiaoqu_id
    FROM n
   CROSS JOIN LATERAL (
         (SELECT x.id AS xiaoqu_id FROM layers_xiaoqu x ORDER BY x.name <-> n.name LIMIT %(knn)s)
         UNION
         (SELECT a.xiaoqu_id FROM layers_compoundalias a
           ORDER BY a.alias <-> n.name LIMIT %(knn)s)
       ) nn
   WHERE n.k IN (SELECT k FROM owner)
), text_named AS (
  -- Rows whose whole text is a compound's name or alias (that compound scores 1 per row).
  SELECT DISTINCT r.i
    FROM r
    JOIN every_name o ON o.name = r.text
), near_numbers AS (
  -- The building numbers of each compound among the nearest names: only a compound with the
  -- typed number gets the building's part of the score (matched per row in Python).
  SELECT b.xiaoqu_id,
         array_agg(DISTINCT substring(b.name from '^([0-9A-Z]+)(?:栋|幢|座|号楼|号)$')) AS numbers
    FROM layers_building b
   WHERE b.xiaoqu_id IN (SELECT xiaoqu_id FROM near)
   GROUP BY b.xiaoqu_id
)
SELECT 'row' AS kind, t.i, NULL::bigint AS k, t.xiaoqu_id, x.code AS xiaoqu_code,
       x.name AS xiaoqu_name, t.matches, b.id AS building_id, b.code AS building_code,
       b.name AS building_name, b.units, b.floors, ad.text AS address,
       ST_X(coalesce(ad.geom, ST_PointOnSurface(b.geom))) AS lon,
       ST_Y(coalesce(ad.geom, ST_PointOnSurface(b.geom))) AS lat,
       e.buildings AS exact, NULL::text[] AS numbers, tn.i IS NOT NULL AS text_is_a_name,
       NULL::real[] AS full_sims, NULL::real[] AS core_sims
  FROM target t
  JOIN layers_xiaoqu x ON x.id = t.xiaoqu_id
  LEFT JOIN layers_building b ON b.id = t.building_id
  LEFT JOIN exact e ON e.i = t.i
  LEFT JOIN text_named tn ON tn.i = t.i
  LEFT JOIN LATERAL (
        SELECT a.text, a.geom FROM layers_address a
         WHERE a.building_id = b.id ORDER BY a.id LIMIT 1) ad ON true
UNION ALL
SELECT 'building', NULL, NULL, b.xiaoqu_id, x.code, x.name, NULL, b.id, b.code, b.name,
       b.units, b.floors, ad.text, ST_X(coalesce(ad.geom, ST_PointOnSurface(b.geom))),
       ST_Y(coalesce(ad.geom, ST_PointOnSurface(b.geom))), NULL, NULL, NULL, NULL, NULL
  FROM (SELECT DISTINCT unnest(buildings) AS id FROM exact) e
  JOIN layers_building b ON b.id = e.id
  LEFT JOIN layers_xiaoqu x ON x.id = b.xiaoqu_id
  LEFT JOIN LATERAL (
        SELECT a.text, a.geom FROM layers_address a
         WHERE a.building_id = b.id ORDER BY a.id LIMIT 1) ad ON true
UNION ALL
SELECT 'numbers', NULL, NULL, xiaoqu_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       NULL, NULL, NULL, numbers, NULL, NULL, NULL
  FROM near_numbers
UNION ALL
SELECT 'name', NULL, near.k, near.xiaoqu_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       NULL, NULL, NULL, NULL, NULL, NULL, s.full_sims, s.core_sims
  FROM near
 CROSS JOIN LATERAL (
        SELECT ARRAY[max(m.w * similarity(m.name, near.name)),
                     max(m.w * word_similarity(near.name, m.name)),
                     max(m.w * word_similarity(m.name, near.name))] AS full_sims,
               ARRAY[max(m.w * similarity(m.name, near.core)),
                     max(m.w * word_similarity(near.core, m.name)),
                     max(m.w * word_similarity(m.name, near.core))] AS core_sims
          FROM (SELECT x.name, 1.0::real AS w FROM layers_xiaoqu x WHERE x.id = near.xiaoqu_id
                 UNION ALL
                SELECT al.alias, 0.9::real
                  FROM layers_compoundalias al WHERE al.xiaoqu_id = near.xiaoqu_id) m
       ) s
