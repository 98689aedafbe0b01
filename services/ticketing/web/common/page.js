/* What a page reads from its own address: the path's parts (`/kiosk/{site}`,
 * `/t/{ticket}`, …), the query and the fragment (`#key=…`, which never reaches a server). */

/** The path's `n`-th part, decoded ("" when missing): `/kiosk/balangan` → part(1) is
 * "balangan"; `part(-1)` is the last. */
export function pathPart(n) {
  const parts = location.pathname.split("/").filter(Boolean);
  const raw = parts[n < 0 ? parts.length + n : n] || "";
  try {
    return decodeURIComponent(raw);
  } catch (_) {
    return raw;
  }
}

/** A query parameter, or null. */
export function queryParam(name) {
  return new URLSearchParams(location.search).get(name);
}

/** A fragment parameter (`#key=…`), or null. */
export function hashParam(name) {
  return new URLSearchParams(location.hash.slice(1)).get(name);
}

/** An API path from parts, each escaped: apiPath("sites", id, "queues"). */
export function apiPath(...parts) {
  return "/api/" + parts.map((p) => encodeURIComponent(p)).join("/");
}
