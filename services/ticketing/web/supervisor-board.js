/* The supervisor console's board: every counter (what it serves; serving a ticket since
 * when, idle, not staffed — or on a break with its reason and since when) and every service (open or closed and why, waiting, issued today, quota
 * left), each with its action buttons (supervisor-actions.js). */

import { api } from "./common/api.js";
import { $, el } from "./common/dom.js";
import { t } from "./common/i18n.js";
import { count } from "./common/numbers.js";
import { apiPath } from "./common/page.js";
import { zonedTime } from "./common/time.js";
import { changeQuota, closeService, openService, reassign } from "./supervisor-actions.js";

const STAFFED_MS = 30 * 60 * 1000; // CONTRACT.md: signed in or acted in the last 30 minutes

function counterState(c) {
  if (c.paused) return ["paused", t("s.stPaused", { reason: c.paused.reason })];
  if (c.current) return ["serving", t("s.stServing")];
  const active = c.last_active_at && Date.now() - new Date(c.last_active_at).getTime() < STAFFED_MS;
  return active ? ["idle", t("s.stIdle")] : ["unstaffed", t("s.stUnstaffed")];
}

/** Since when: the call of the ticket it serves, or the start of its break. */
function since(c, zone) {
  const at = c.current && c.current.called_at ? c.current.called_at : c.paused ? c.paused.since : null;
  return at ? zonedTime(at, zone) : "–";
}

const button = (kind, data, label, onclick) =>
  el("button", { type: "button", class: "btn small " + kind, dataset: data, text: t(label), onclick });

function counterRow(ctx, c) {
  const services = ctx.site().services || [];
  const name = (id) => (services.find((s) => s.id === id) || { name: id }).name;
  const [kind, label] = counterState(c);
  const cur = c.current;
  return el(
    "tr",
    { dataset: { counter: c.id } },
    el("td", { text: c.name }),
    el("td", { text: c.service_ids.map(name).join(", ") }),
    el("td", {}, el("span", { class: "state " + kind, text: label })),
    el("td", { class: "ticket", text: cur ? cur.number : "–" }),
    el("td", { text: since(c, ctx.site().timezone) }),
    el("td", {}, button("secondary", { reassign: c.id }, "s.doReassign", () => reassign(ctx, c, services))),
  );
}

const quotaText = (left) => (left == null ? t("s.noCap") : count(left));
const quotaCell = (left) =>
  left.kiosk == null && left.online == null ? t("s.noCap") : `${quotaText(left.kiosk)} / ${quotaText(left.online)}`;

function serviceRow(ctx, s, q) {
  const status = el("td", {}, el("span", { class: "state " + (q.open ? "open" : "closed"), text: t(q.open ? "s.open" : "s.closed") }));
  if (!q.open && q.closed_reason) status.append(el("span", { class: "reason", text: q.closed_reason }));
  const toggle = q.open
    ? button("danger", { close: s.id }, "s.doClose", () => closeService(ctx, s))
    : button("ok", { open: s.id }, "s.doOpen", () => openService(ctx, s));
  return el(
    "tr",
    { dataset: { service: s.id } },
    el("td", { text: s.name }),
    status,
    el("td", { class: "num waiting", text: count(q.waiting) }),
    el("td", { class: "num issued", text: count(q.issued_today) }),
    el(
      "td",
      { class: "num quota" },
      quotaCell(q.quota_left),
      q.quota_runs_out_at ? el("span", { class: "reason runs-out", text: t("s.runsOut", { time: q.quota_runs_out_at }) }) : null,
    ),
    el("td", {}, el("div", { class: "actions" }, toggle, button("secondary", { quota: s.id }, "s.doQuota", () => changeQuota(ctx, s)))),
  );
}

const head = (...keys) => el("thead", {}, el("tr", {}, ...keys.map((k) => el("th", { scope: "col", text: t(k) }))));

export function board(ctx) {
  const data = { counters: [], queues: {} };

  function render() {
    if (!ctx.site()) return;
    const services = (ctx.site().services || []).filter((s) => data.queues[s.id]);
    $("#t-counters").replaceChildren(
      head("s.colCounter", "s.colServes", "s.colState", "s.colTicket", "s.colSince", "s.colActions"),
      el("tbody", {}, ...data.counters.map((c) => counterRow(ctx, c))),
    );
    $("#t-services").replaceChildren(
      head("s.colService", "s.colOpen", "s.colWaiting", "s.colIssued", "s.colQuota", "s.colActions"),
      el("tbody", {}, ...services.map((s) => serviceRow(ctx, s, data.queues[s.id]))),
    );
  }

  async function load() {
    const [counters, queues] = await Promise.all([
      ctx.call("GET", apiPath("sites", ctx.siteId, "counters")),
      api("GET", apiPath("sites", ctx.siteId, "queues")),
    ]);
    data.counters = counters;
    data.queues = queues;
    render();
  }

  return { load, render };
}
