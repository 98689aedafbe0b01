/* What the kiosk knows of each service's line before anyone taps: the queues answer
 * (waiting, estimated wait, open or closed and why, kiosk quota left and when it is
 * forecast to run out, where a mobile MPP stands), and services refused with 409 a moment
 * ago, shown closed for a minute. */

import { t } from "./common/i18n.js";

const CLOSED_AFTER_409_MS = 60000;

function quotaGone(q) {
  return Boolean(q && q.quota_left && q.quota_left.kiosk === 0);
}

export class ServiceLines {
  constructor() {
    this.queues = null; // service_id -> queue line, or null before the first answer
    this.refusedUntil = {}; // service_id -> ms timestamp (after a 409)
    this.refusedDetail = {};
  }

  /** The line of a service, or null (before the first answer, or not in it). */
  of(serviceId) {
    return (this.queues && this.queues[serviceId]) || null;
  }

  waiting(serviceId) {
    const q = this.of(serviceId);
    return q ? q.waiting : 0;
  }

  /** Issuing answered 409 (`detail`): closed for a minute, whatever the queues say. */
  refused(serviceId, detail) {
    this.refusedUntil[serviceId] = Date.now() + CLOSED_AFTER_409_MS;
    this.refusedDetail[serviceId] = detail;
  }

  recentlyRefused(serviceId) {
    return (this.refusedUntil[serviceId] || 0) > Date.now();
  }

  /** Closed now: as the queues answer says (hours, closed by a supervisor, no kiosk quota
   * left), missing from it, or refused with 409 a moment ago. */
  isClosed(serviceId) {
    if (this.recentlyRefused(serviceId)) return true;
    if (this.queues === null) return false;
    const q = this.of(serviceId);
    return !q || q.open === false || quotaGone(q);
  }

  /** Why it is closed, in words for the citizen (may be empty). */
  closedReason(serviceId) {
    if (this.recentlyRefused(serviceId)) return this.refusedDetail[serviceId] || "";
    const q = this.of(serviceId);
    if (!q) return "";
    if (q.open === false) return q.closed_reason || "";
    return quotaGone(q) ? t("kiosk.quotaGone") : "";
  }

  /** "Kuota diperkirakan habis pukul 10.40", when the forecast says so. */
  quotaNote(serviceId) {
    const q = this.of(serviceId);
    return q && q.quota_runs_out_at && !this.isClosed(serviceId) ? t("kiosk.quotaEnds", { t: q.quota_runs_out_at }) : "";
  }
}
