/* Text into HTML, and the short names the grid table shows. */
const ENTITIES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

// "操场社区第1网格" → "第1网格": the community is chosen above, its name need not repeat.
export function shortName(name, communityName) {
  return communityName && name.startsWith(communityName) && name.length > communityName.length
    ? name.slice(communityName.length) : name;
}
