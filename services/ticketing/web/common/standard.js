/* A service's standard (standar pelayanan) as a citizen reads it before queueing: what to
 * bring, the official cost ("Gratis" or the tariff), how long it takes; and the MPP's
 * pledge (maklumat pelayanan) with where to complain (SP4N-LAPOR!). The data is the site
 * API's (`service.standard`, `site.pledge`, `site.complaint_channels`), from the site files. */

import { el } from "./dom.js";
import { addStrings, t } from "./i18n.js";
import { count } from "./numbers.js";
import strings from "../strings/standard.js";

addStrings(strings);

/** "Gratis", "Rp30.000" or "Sesuai ketentuan" (with the file's note after it). */
export function costText(standard) {
  const cost = standard.cost_rupiah;
  const base = cost === 0 ? t("std.free") : cost == null ? t("std.varies") : t("std.rupiah", { n: count(cost) });
  return standard.cost_note ? `${base} — ${standard.cost_note}` : base;
}

function row(label, ...value) {
  return el("div", { class: "std-row" }, el("dt", { text: label }), el("dd", {}, ...value));
}

/** A <dl> of the service's standard; `compact` leaves out the cost's note and the warning. */
export function standardList(service, compact) {
  const std = service.standard || { requirements: [], cost_rupiah: null, cost_note: "", completion: "" };
  const reqs = std.requirements.length
    ? el("ul", { class: "std-reqs" }, ...std.requirements.map((r) => el("li", { text: r })))
    : t("std.noRequirements");
  const cost = compact ? costText({ ...std, cost_note: "" }) : costText(std);
  const rows = [
    row(t("std.requirements"), reqs),
    row(t("std.cost"), cost),
    row(t("std.time"), t("std.minutes", { n: service.target_minutes })),
  ];
  if (std.completion) rows.push(row(t("std.completion"), std.completion));
  const list = el("dl", { class: "std" }, ...rows);
  if (compact) return list;
  return el("div", {}, list, el("p", { class: "std-nofee", text: t("std.noFee") }));
}

/** The pledge and the complaint channels, for a page's footer. */
export function pledgeBlock(site) {
  const parts = [];
  if (site.pledge) {
    parts.push(el("p", { class: "std-pledge" }, el("strong", { text: t("std.pledge") + ": " }), site.pledge));
  }
  if (site.complaint_channels && site.complaint_channels.length) {
    const channels = site.complaint_channels.join(" · ");
    parts.push(el("p", { class: "std-complain" }, el("strong", { text: t("std.complain") + ": " }), channels));
  }
  return el("div", { class: "std-footer" }, ...parts);
}
