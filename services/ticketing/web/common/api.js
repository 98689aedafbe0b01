/* Calls to the ticketing API: JSON in, JSON out, and every refusal as an `ApiError` whose
 * text is the API's own Indonesian reason (`detailText`), with a 422's field names said as
 * the form says them ("Nomor HP: …", not "contact_phone: …"). */

import { has, t } from "./i18n.js";

export class ApiError extends Error {
  constructor(status, detail) {
    super(typeof detail === "string" ? detail : "HTTP " + status);
    this.status = status;
    this.detail = detail;
  }
}

function request(method, opts) {
  const o = opts || {};
  const headers = Object.assign({ Accept: "application/json" }, o.headers || {});
  let body;
  if (o.json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(o.json);
  } else if (o.form) {
    body = new URLSearchParams(o.form);
  }
  if (o.token) headers.Authorization = "Bearer " + o.token;
  return { method, headers, body, cache: "no-store", credentials: "omit" };
}

/** The raw answer of a call (for SVG charts and file downloads); a refusal or a network
 * failure (status 0) throws ApiError. Options: json, form, headers, token. */
export async function send(method, path, opts) {
  let res;
  try {
    res = await fetch(path, request(method, opts));
  } catch (_) {
    throw new ApiError(0, t("common.offline"));
  }
  if (!res.ok) {
    let data = null;
    try {
      data = await res.json();
    } catch (_) {
      data = null;
    }
    throw new ApiError(res.status, data && data.detail !== undefined ? data.detail : null);
  }
  return res;
}

/** Call the API; answer the parsed JSON (null for 204), throw ApiError otherwise. */
export async function api(method, path, opts) {
  const res = await send(method, path, opts);
  if (res.status === 204) return null;
  try {
    return await res.json();
  } catch (_) {
    return null;
  }
}

function fieldName(loc) {
  const name = Array.isArray(loc) ? String(loc[loc.length - 1]) : "";
  return has("field." + name) ? t("field." + name) : name;
}

/** Human text for an error `detail`: a string, or FastAPI's 422 list of {loc, msg}. */
export function detailText(detail) {
  if (detail == null) return t("common.error");
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    return detail
      .map((d) => {
        const msg0 = String(d.msg || "");
        if (d.label && msg0.startsWith(d.label + ": ")) return msg0;
        const field = fieldName(d.loc);
        const msg = String(d.msg || "").replace(/^Value error, /, "");
        return field ? field + ": " + msg : msg;
      })
      .join("; ");
  }
  return t("common.error");
}

/** The text to show for a failed call: offline, or the API's reason. */
export function errorText(e) {
  return e.status === 0 ? t("common.offline") : detailText(e.detail);
}

/** A v4 UUID (an Idempotency-Key), also on a plain-http LAN where randomUUID is missing. */
export function uuid() {
  if (window.crypto && typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
