-- Layer `compounds`: residential compounds (小区) with kind and organisation flags.
-- Parameters: z, x, y, extent, buffer, margin; compounds_min_area_m2 (compounds smaller than this
-- at the tile's zoom are dropped: a pixel-area rule, see tiles/registry.py).
-- Reads layers_xiaoqu.geom_3857 (EPSG:3857; areas there are inflated by 1/cos²(lat), which the
-- threshold ignores: it only needs to be monotonic). Returns one MVT layer (bytea).
SELECT ST_AsMVT(t, 'compounds', %(extent)s, 'geom', 'id') FROM (
  SELECT q.id, q.code, q.name, q.kind,
         (q.party_organisation <> '') AS has_party_org,
         (q.owners_committee <> '') AS has_owners_committee,
         (q.property_company <> '') AS has_property_company,
         ST_AsMVTGeom(q.geom_3857, ST_TileEnvelope(%(z)s, %(x)s, %(y)s), %(extent)s, %(buffer)s, true) AS geom
    FROM layers_xiaoqu q
   WHERE q.geom_3857 && ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => %(margin)s)
     AND ST_Area(q.geom_3857) >= %(compounds_min_area_m2)s
) t WHERE t.geom IS NOT NULL
