/* The supervisor console's audit log: newest first, filtered on the server by action,
 * staff member and period (days in the site's own zone). */

import { errorText } from "./common/api.js";
import { $, el } from "./common/dom.js";
import { has, t } from "./common/i18n.js";
import { apiPath } from "./common/page.js";
import { formatDate, zonedTime } from "./common/time.js";

const ACTIONS = [
  "service.close",
  "service.open",
  "service.quota_today",
  "counter.reassign",
  "kiosk.enrol",
  "kiosk.revoke",
  "complaint.answer",
  "staff.create",
  "staff.update",
  "sites.reload",
];

const actionName = (a) => (has("act." + a) ? t("act." + a) : a);

export function auditLog(ctx) {
  const data = { entries: [] };
  const zone = () => ctx.site().timezone;

  function query() {
    const q = new URLSearchParams({ limit: "200" });
    for (const [key, sel] of [["action", "#a-action"], ["actor", "#a-actor"], ["from", "#a-from"], ["to", "#a-to"]]) {
      const value = $(sel).value.trim();
      if (value) q.set(key, value);
    }
    return q.toString();
  }

  async function load() {
    data.entries = await ctx.call("GET", apiPath("sites", ctx.siteId, "audit") + "?" + query());
    render();
  }

  const change = (e) => JSON.stringify(e.before) + " → " + JSON.stringify(e.after);

  function row(e) {
    return el(
      "tr",
      { dataset: { action: e.action } },
      el("td", { text: `${formatDate(e.at, zone())} ${zonedTime(e.at, zone(), true)}` }),
      el("td", { class: "actor", text: `${e.actor} (${e.role})` }),
      el("td", { text: actionName(e.action) }),
      el("td", { text: e.target }),
      el("td", { class: "change", text: change(e) }),
    );
  }

  function render() {
    if (!ctx.site()) return;
    $("#a-action").querySelectorAll("option[value]:not([value=''])").forEach((o) => {
      o.textContent = actionName(o.value);
    });
    const head = el("thead", {}, el("tr", {}, ...["s.colAt", "s.colActor", "s.colAction", "s.colTarget", "s.colChange"].map((k) => el("th", { scope: "col", text: t(k) }))));
    const rows = data.entries.map(row);
    const empty = el("tr", {}, el("td", { colspan: "5", class: "muted", text: t("common.noData") }));
    $("#t-audit").replaceChildren(head, el("tbody", {}, ...(rows.length ? rows : [empty])));
    $("#a-count").textContent = t("s.auditCount", { n: data.entries.length });
  }

  /** The action choices (once the site is known). */
  function prepare() {
    if ($("#a-action").options.length > 1) return;
    for (const a of ACTIONS) $("#a-action").append(el("option", { value: a, text: actionName(a) }));
  }

  async function apply(ev) {
    ev.preventDefault();
    try {
      await load();
    } catch (e) {
      ctx.message(errorText(e), "error");
    }
  }

  function wire() {
    $("#audit-filters").addEventListener("submit", apply);
  }

  return { load, render, prepare, wire };
}
