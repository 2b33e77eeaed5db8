/* Bounding boxes of GeoJSON geometries (for fitBounds and the box tool), and the parcels whose
 * label point lies in one: a lookup of coordinates, not a geometric computation. */
export function bboxOf(geometry) {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  const walk = (c) => {
    if (typeof c[0] === "number") {
      x0 = Math.min(x0, c[0]); y0 = Math.min(y0, c[1]);
      x1 = Math.max(x1, c[0]); y1 = Math.max(y1, c[1]);
    } else c.forEach(walk);
  };
  walk(geometry.coordinates);
  return [[x0, y0], [x1, y1]];
}

export function parcelsIn([[x0, y0], [x1, y1]], parcels) {
  const ids = [];
  for (const [id, p] of parcels) if (p.x >= x0 && p.x <= x1 && p.y >= y0 && p.y <= y1) ids.push(id);
  return ids;
}
