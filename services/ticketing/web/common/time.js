/* Dates and times in the site's own zone (WIB / WITA / WIT), never the browser's nor UTC's:
 * a kiosk in Balangan shows WITA whatever the PC's clock zone, and a report opened at
 * 07:30 WITA is for today in Balangan. */

import { locale, t } from "./i18n.js";

function format(instant, timeZone, opts) {
  const d = instant instanceof Date ? instant : new Date(instant);
  try {
    return new Intl.DateTimeFormat(locale(), Object.assign({ timeZone }, opts)).format(d);
  } catch (_) {
    return new Intl.DateTimeFormat(locale(), opts).format(d);
  }
}

/** "14.05" style clock time of an instant in the site's zone (`withSeconds`: "14.05.09"). */
export function formatTime(instant, timeZone, withSeconds) {
  const opts = { hour: "2-digit", minute: "2-digit", hour12: false };
  if (withSeconds) opts.second = "2-digit";
  return format(instant, timeZone, opts);
}

/** "Rabu, 2 Desember 2026" in the site's zone. */
export function formatDate(instant, timeZone) {
  return format(instant, timeZone, { weekday: "long", day: "numeric", month: "long", year: "numeric" });
}

/** A short zone label (WIB / WITA / WIT) for Indonesia's three zones. */
export function zoneLabel(timeZone) {
  return (
    {
      "Asia/Jakarta": "WIB",
      "Asia/Pontianak": "WIB",
      "Asia/Makassar": "WITA",
      "Asia/Jayapura": "WIT",
    }[timeZone] || ""
  );
}

/** "14.05 WITA": a clock time with its zone's label. */
export function zonedTime(instant, timeZone, withSeconds) {
  return `${formatTime(instant, timeZone, withSeconds)} ${zoneLabel(timeZone)}`.trim();
}

/** The calendar day ("2026-12-02") of an instant in the site's zone. */
export function siteDay(instant, timeZone) {
  const d = instant instanceof Date ? instant : new Date(instant);
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  }).formatToParts(d);
  const part = (type) => parts.find((p) => p.type === type).value;
  return `${part("year")}-${part("month")}-${part("day")}`;
}

/** The day before or after a "YYYY-MM-DD" calendar day, counted in whole days. */
export function addDays(day, n) {
  const d = new Date(day + "T00:00:00Z");
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/** Estimated wait in minutes, rounded up; none (no staffed counter serves it: CONTRACT.md
 * counts staffed counters only) says so rather than guess. */
export function formatWait(seconds) {
  if (seconds == null) return t("common.noCounter");
  if (seconds < 60) return t("common.lessMinute");
  return t("common.minutes", { n: Math.ceil(seconds / 60) });
}

/** mm:ss (or h:mm:ss) since an instant. */
export function elapsed(fromIso, now) {
  const s = Math.max(0, Math.floor(((now || Date.now()) - new Date(fromIso).getTime()) / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${String(m).padStart(2, "0")}:${sec}`;
}
